//! Writing a generated tenant into the store, once.

use super::{SandboxOptions, generate};

/// Creates a sandbox tenant unless it exists; returns whether it did.
pub async fn ensure_tenant(
    store: &crate::Store,
    tenant: &str,
    employees: usize,
    seed: u64,
) -> Result<bool, crate::store::StoreError> {
    if store.tenant_exists(tenant).await? {
        return Ok(false);
    }
    create_tenant(store, tenant, &format!("Sandbox {seed}"), employees, seed).await?;
    Ok(true)
}

/// Creates the tenant `tenant`, named `name`, with the synthetic data of
/// `employees` and `seed` as of today: employees, absences, inclusion
/// answers and job positions.
pub async fn create_tenant(
    store: &crate::Store,
    tenant: &str,
    name: &str,
    employees: usize,
    seed: u64,
) -> Result<(), crate::store::StoreError> {
    let data = generate(&SandboxOptions {
        employees,
        seed,
        today: crate::time::today(),
    });
    store.create_tenant(tenant, name).await?;
    store.upsert_employees(tenant, &data.employees).await?;
    store.upsert_absences(tenant, &data.absences).await?;
    store.set_exclusions(tenant, &data.exclusions).await?;
    store.upsert_positions(tenant, &data.positions).await?;
    Ok(())
}
