//! Many processes (here threads) opening one new file at the same moment all
//! get a working store: the first creates and migrates it, the others wait.

mod support;

use crm_core::Store;
use crm_sqlite::SqliteStore;
use support::TempDir;

#[test]
fn eight_connections_opening_a_new_file_at_once_all_succeed() {
    for round in 0..40 {
        let dir = TempDir::new("open-race");
        let path = dir.path().join("crm.db");
        let barrier = std::sync::Barrier::new(8);
        let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        SqliteStore::open(&path)
                            .and_then(|mut store| store.next_number("race").map(|_| ()))
                            .map_err(|e| e.to_string())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(failed.is_empty(), "round {round}: {failed:?}");
    }
}
