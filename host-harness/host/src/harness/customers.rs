//! The store's customer list, as a console shows it: names and numbers, with every number
//! turned into E.164 by the plugin (the same code that sends), so "(212) 555-0100" typed on a
//! customer's page is the number the inbox and the audit log show.

use super::Harness;
use crate::error::{CustomerError, Error};
use crate::storage::{AuditQuery, AuditRow, Customer, CustomerId};

impl Harness {
    /// Every customer, by name.
    pub fn customers(&self) -> Result<Vec<Customer>, Error> {
        Ok(self.db().customers()?)
    }

    /// Adds a customer. The name is trimmed and must not be empty; the number is normalized
    /// by the plugin (an unusable one is the plugin's `invalid-phone`).
    pub async fn add_customer(&self, name: &str, phone: &str) -> Result<Customer, Error> {
        let (name, phone) = self.customer_fields(name, phone).await?;
        Ok(self.db().add_customer(name, &phone)?)
    }

    /// Changes a customer's name and number, checked as [`Harness::add_customer`] does.
    pub async fn update_customer(
        &self,
        id: CustomerId,
        name: &str,
        phone: &str,
    ) -> Result<Customer, Error> {
        let (name, phone) = self.customer_fields(name, phone).await?;
        self.db()
            .update_customer(id, name, &phone)?
            .ok_or(Error::Customer(CustomerError::NotFound(id)))
    }

    /// Removes a customer from the list; their texts and audit rows stay.
    pub fn delete_customer(&self, id: CustomerId) -> Result<(), Error> {
        if self.db().delete_customer(id)? {
            Ok(())
        } else {
            Err(Error::Customer(CustomerError::NotFound(id)))
        }
    }

    /// The name of the customer with this number (E.164), if there is one.
    pub fn customer_name(&self, phone: &str) -> Result<Option<String>, Error> {
        Ok(self.db().customer_name(phone)?)
    }

    /// A page of the audit log, newest first (see [`AuditQuery`]).
    pub fn audit_page(&self, query: &AuditQuery<'_>) -> Result<Vec<AuditRow>, Error> {
        Ok(self.db().audit_page(query)?)
    }

    async fn customer_fields<'n>(
        &self,
        name: &'n str,
        phone: &str,
    ) -> Result<(&'n str, String), Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(CustomerError::EmptyName.into());
        }
        let length = name.chars().count();
        if length > CustomerError::MAX_NAME {
            return Err(CustomerError::NameTooLong(length).into());
        }
        Ok((name, self.normalize_phone(phone).await?))
    }
}
