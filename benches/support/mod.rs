//! What the benchmarks share: a temporary directory for their store files and
//! a fixed pseudo-random sequence for their data.

// Each bench is its own crate and uses only part of this.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh directory under the system's temporary one, named after
    /// `label`, the process and the time, so that parallel runs never share.
    pub fn new(label: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("crm-bench-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temporary directory");
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small, fixed pseudo-random sequence (xorshift), so runs compare.
pub struct Rng(pub u64);

impl Rng {
    /// The next number, below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
