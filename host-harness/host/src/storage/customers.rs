//! The store's customer list: a name and a number each, for a console's "Text" button and
//! for naming the inbox's threads. Numbers are stored in E.164 (the harness normalizes them
//! through the plugin before they reach this layer).

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{HostStore, NOW, failed};
use crate::error::StorageError;

/// A customer's row id.
pub type CustomerId = i64;

/// One customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    /// Row id.
    pub id: CustomerId,
    /// The name staff know them by.
    pub name: String,
    /// Their number, in E.164.
    pub phone: String,
}

impl HostStore {
    /// Every customer, by name (then id).
    pub fn customers(&self) -> Result<Vec<Customer>, StorageError> {
        let read = || -> rusqlite::Result<Vec<Customer>> {
            let mut stmt = self.conn.prepare(
                "SELECT id, name, phone FROM customers ORDER BY name COLLATE NOCASE, id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(Customer {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    phone: r.get(2)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(failed("read the customers"))
    }

    /// Adds a customer and returns it.
    pub fn add_customer(&self, name: &str, phone: &str) -> Result<Customer, StorageError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO customers (name, phone, created_at, updated_at)
                     VALUES (?1, ?2, {NOW}, {NOW})"
                ),
                params![name, phone],
            )
            .map_err(failed("add a customer"))?;
        Ok(Customer {
            id: self.conn.last_insert_rowid(),
            name: name.to_string(),
            phone: phone.to_string(),
        })
    }

    /// Changes a customer's name and number; `None` when there is no such customer.
    pub fn update_customer(
        &self,
        id: CustomerId,
        name: &str,
        phone: &str,
    ) -> Result<Option<Customer>, StorageError> {
        let changed = self
            .conn
            .execute(
                &format!(
                    "UPDATE customers SET name = ?2, phone = ?3, updated_at = {NOW} WHERE id = ?1"
                ),
                params![id, name, phone],
            )
            .map_err(failed("change a customer"))?;
        Ok((changed == 1).then(|| Customer {
            id,
            name: name.to_string(),
            phone: phone.to_string(),
        }))
    }

    /// Removes a customer (their texts and audit rows stay); false when there was none.
    pub fn delete_customer(&self, id: CustomerId) -> Result<bool, StorageError> {
        let removed = self
            .conn
            .execute("DELETE FROM customers WHERE id = ?1", [id])
            .map_err(failed("remove a customer"))?;
        Ok(removed == 1)
    }

    /// The name of the first customer (by name) with this number.
    pub fn customer_name(&self, phone: &str) -> Result<Option<String>, StorageError> {
        self.conn
            .query_row(
                "SELECT name FROM customers WHERE phone = ?1
                 ORDER BY name COLLATE NOCASE, id LIMIT 1",
                [phone],
                |r| r.get(0),
            )
            .optional()
            .map_err(failed("read a customer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, HostStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn customers_are_listed_by_name_and_can_be_changed_and_removed() {
        let (_dir, store) = store();
        let sam = store.add_customer("sam Rivera", "+12125550100").unwrap();
        let ana = store.add_customer("Ana Lima", "+12125550123").unwrap();
        assert_eq!(store.customers().unwrap(), vec![ana.clone(), sam.clone()]);
        assert_eq!(
            store.customer_name("+12125550123").unwrap().as_deref(),
            Some("Ana Lima")
        );
        assert_eq!(store.customer_name("+12125550199").unwrap(), None);

        let renamed = store
            .update_customer(sam.id, "Sam Rivera", "+12125550101")
            .unwrap()
            .unwrap();
        assert_eq!(renamed.phone, "+12125550101");
        assert_eq!(store.customers().unwrap(), vec![ana.clone(), renamed]);
        assert_eq!(
            store.update_customer(999, "X", "+12125550100").unwrap(),
            None
        );

        assert!(store.delete_customer(sam.id).unwrap());
        assert!(!store.delete_customer(sam.id).unwrap());
        assert_eq!(store.customers().unwrap(), vec![ana]);
    }
}
