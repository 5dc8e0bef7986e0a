//! What the benchmarks share: a temporary directory for their store files, a
//! fixed pseudo-random sequence and record ids for their data, and the people
//! CSV that the import bench and `examples/import_rate` both read.

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

/// A fixed UUIDv7-shaped id, numbered.
pub fn uuid_of(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128((0x0190_0000_0000_7000_8000_u128 << 48) | n)
}

/// `rows` people as CSV (`name,email,phone,kind,region`): about one row in
/// ten repeats an earlier row's email, in upper case, and its phone.
pub fn write_people(out: &mut impl std::io::Write, rows: usize) -> std::io::Result<()> {
    writeln!(out, "name,email,phone,kind,region")?;
    let mut x: u64 = 11;
    for i in 0..rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let (n, upper) = if i > 10 && x % 10 == 0 {
            ((x / 10) as usize % i, true)
        } else {
            (i, false)
        };
        let email = format!("person{n}@example.com");
        writeln!(
            out,
            "Person {i},{},+44 20 7{:03} {:04},person,r{}",
            if upper { email.to_uppercase() } else { email },
            n / 10_000 % 1000,
            n % 10_000,
            i % 7
        )?;
    }
    Ok(())
}
