//! Group commit: the writes of many concurrent calls share one transaction and one fsync.
//!
//! Every commit of the store reaches the disk (`synchronous = FULL`): a send's pending audit
//! row must survive a crash while its request is out. One fsync per write caps a store at a
//! few hundred writes a second however many sends are in flight. [`GroupWriter`] is the
//! classic remedy: a writer thread takes every write waiting at that moment, runs each in its
//! own savepoint of one `BEGIN IMMEDIATE` transaction, commits once, and only then answers
//! each caller. A caller therefore learns of its write when it is on disk, exactly as before;
//! a write that fails rolls back alone; a commit that fails fails every write of its batch.
//! Callers await the answer, so no tokio worker is held while the disk works.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::HostStore;
use crate::error::StorageError;

/// Answers one caller once its batch committed (with the commit's failure, if it failed).
type Deliver = Box<dyn FnOnce(Option<&str>) + Send>;
/// One write, run inside the batch's transaction (or not run, given `None`, when there is
/// none): whether it succeeded, and its answer.
type Job = Box<dyn FnOnce(Option<&HostStore>) -> (bool, Deliver) + Send>;

/// The most writes one transaction takes; the rest go in the next.
const MAX_BATCH: usize = 512;

/// The writer thread of one store. Dropping it lets the thread finish what is queued and
/// stop.
pub struct GroupWriter {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    batches: Arc<AtomicU64>,
    writes: AtomicU64,
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter")
            .field("writes", &self.writes())
            .field("batches", &self.batches())
            .finish()
    }
}

impl GroupWriter {
    /// Starts the writer thread for `store`. Other users of the store keep locking it as
    /// before; the thread holds the lock only while it runs and commits a batch.
    pub fn start(store: Arc<Mutex<HostStore>>) -> Result<GroupWriter, StorageError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let batches = Arc::new(AtomicU64::new(0));
        let counter = batches.clone();
        let thread = std::thread::Builder::new()
            .name("sms-host-writer".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match queue.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    commit(&lock(&store), batch);
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
            .map_err(|e| StorageError::Query {
                action: "start the writer thread",
                source: Box::new(e),
            })?;
        Ok(GroupWriter {
            jobs: Some(jobs),
            thread: Some(thread),
            batches,
            writes: AtomicU64::new(0),
        })
    }

    /// Runs `write` in the next batch and answers once that batch is on disk.
    pub async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&HostStore) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let (job, answered) = job(write);
        self.writes.fetch_add(1, Ordering::Relaxed);
        let stopped = || StorageError::Query {
            action: "write (its writer thread has stopped)",
            source: "the store is closing".into(),
        };
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }

    /// How many writes were handed to the writer.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// How many transactions the writer has committed (or tried to) for them.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }
}

impl Drop for GroupWriter {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `write` as a job, and where its answer arrives.
fn job<T: Send + 'static>(
    write: impl FnOnce(&HostStore) -> Result<T, StorageError> + Send + 'static,
) -> (Job, oneshot::Receiver<Result<T, StorageError>>) {
    let (answer, answered) = oneshot::channel();
    let job: Job = Box::new(move |store| {
        let result = store.map(write);
        let ok = matches!(result, Some(Ok(_)));
        let deliver: Deliver = Box::new(move |failed: Option<&str>| {
            let result = match (result, failed) {
                (Some(Err(e)), _) => Err(e),
                (Some(Ok(value)), None) => Ok(value),
                (_, why) => Err(StorageError::Query {
                    action: "commit a group of writes",
                    source: why.unwrap_or("the write did not run").into(),
                }),
            };
            let _ = answer.send(result);
        });
        (ok, deliver)
    });
    (job, answered)
}

fn lock(store: &Mutex<HostStore>) -> MutexGuard<'_, HostStore> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `batch` in one transaction, each write in its own savepoint, and answers every
/// caller after the commit.
fn commit(store: &HostStore, batch: Vec<Job>) {
    let conn = &store.conn;
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let why = format!("could not begin: {e}");
        // Nothing is written outside a transaction: the writes do not run.
        for job in batch {
            job(None).1(Some(&why));
        }
        return;
    }
    let mut delivers = Vec::with_capacity(batch.len());
    for job in batch {
        if let Err(e) = conn.execute_batch("SAVEPOINT write") {
            job(None).1(Some(&format!("could not open a savepoint: {e}")));
            continue;
        }
        let (ok, deliver) = job(Some(store));
        // A write that failed leaves nothing behind; the others keep theirs.
        if !ok {
            let _ = conn.execute_batch("ROLLBACK TO write");
        }
        let _ = conn.execute_batch("RELEASE write");
        delivers.push(deliver);
    }
    let failed = conn.execute_batch("COMMIT").err().map(|e| e.to_string());
    if failed.is_some() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for deliver in delivers {
        deliver(failed.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::AuditEntry;

    fn entry(to: &str) -> AuditEntry {
        AuditEntry::staff_action("send", to, "sam", None)
    }

    fn recipients(store: &HostStore) -> Vec<String> {
        store
            .audit(100)
            .unwrap()
            .into_iter()
            .map(|row| row.entry.to)
            .collect()
    }

    fn answer<T>(mut rx: oneshot::Receiver<Result<T, StorageError>>) -> Result<T, StorageError> {
        rx.try_recv().expect("answered after the commit")
    }

    #[test]
    fn a_failed_write_rolls_back_alone_and_the_rest_commit_together() {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(dir.path()).unwrap();
        let (first, first_rx) = job(|db| db.append_audit(&entry("+15550000001")));
        // Writes a row, then fails: its row must not stay.
        let (broken, broken_rx) = job(|db| {
            db.append_audit(&entry("+15550000002"))?;
            db.update_audit(999, &entry("+15550000002"))
        });
        let (last, last_rx) = job(|db| db.append_audit(&entry("+15550000003")));
        commit(&store, vec![first, broken, last]);
        assert_eq!(answer(first_rx).unwrap(), 1);
        assert!(matches!(
            answer(broken_rx),
            Err(StorageError::NoAuditRow(999))
        ));
        // SQLite reuses the rolled-back row id.
        assert_eq!(answer(last_rx).unwrap(), 2);
        assert_eq!(recipients(&store), ["+15550000001", "+15550000003"]);
    }

    #[test]
    fn a_failed_commit_fails_every_write_of_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(dir.path()).unwrap();
        let (first, first_rx) = job(|db| db.append_audit(&entry("+15550000001")));
        // Ends the transaction under the writer's feet, so its COMMIT fails.
        let (saboteur, saboteur_rx) = job(|db| {
            db.conn
                .execute_batch("ROLLBACK")
                .map_err(|e| StorageError::Query {
                    action: "sabotage",
                    source: Box::new(e),
                })
                .map(|()| 0)
        });
        commit(&store, vec![first, saboteur]);
        for rx in [first_rx, saboteur_rx] {
            match answer(rx) {
                Err(StorageError::Query { action, .. }) => {
                    assert_eq!(action, "commit a group of writes");
                }
                other => panic!("expected the commit's failure, got {other:?}"),
            }
        }
        assert_eq!(recipients(&store), Vec::<String>::new());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    // The store is held on purpose while the writes queue (the writer thread waits for it).
    #[allow(clippy::await_holding_lock)]
    async fn concurrent_writes_share_transactions_and_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Mutex::new(HostStore::open(dir.path()).unwrap()));
        let writer = Arc::new(GroupWriter::start(store.clone()).unwrap());
        // Hold the store while 100 writes queue up: they go in far fewer transactions.
        let held = lock(&store);
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..100 {
            let writer = writer.clone();
            tasks.spawn(async move {
                writer
                    .write(move |db| db.append_audit(&entry(&format!("+1555000{i:04}"))))
                    .await
            });
        }
        while writer.writes() < 100 {
            tokio::task::yield_now().await;
        }
        drop(held);
        let mut ids = Vec::new();
        while let Some(done) = tasks.join_next().await {
            ids.push(done.unwrap().unwrap());
        }
        ids.sort_unstable();
        assert_eq!(ids, (1..=100).collect::<Vec<i64>>());
        assert!(writer.batches() <= 3, "{} transactions", writer.batches());
        assert_eq!(lock(&store).audit(1000).unwrap().len(), 100);
    }
}
