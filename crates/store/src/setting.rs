//! Company settings kept as a JSON document in a column of `organizations` (screening
//! weights, quotation limits): read with their defaults for what a stored document omits, and
//! replaced whole, audited as the document before and after.

use crate::audit::Audit;
use crate::{Result, Store, Viewer};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use yingpan_domain::audit::FieldChange;

/// A setting and the `organizations` column that keeps it (a constant of ours, never input).
pub trait CompanySetting: Serialize + DeserializeOwned + PartialEq + Send + Sync {
    const COLUMN: &'static str;
}

impl CompanySetting for yingpan_domain::screening::ScreeningSettings {
    const COLUMN: &'static str = "screening_settings";
}

impl CompanySetting for yingpan_domain::quotation::QuotationSettings {
    const COLUMN: &'static str = "quotation_settings";
}

/// The setting as stored for the organization, read through `exec`.
pub(crate) async fn read<T: CompanySetting>(
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    org_id: i64,
) -> Result<T> {
    crate::org::settings_json(exec, org_id, T::COLUMN).await
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn company_setting<T: CompanySetting>(&self, org_id: i64) -> Result<T> {
        read(&self.read, org_id).await
    }

    /// Replaces the setting (checked by the caller).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_company_setting<T: CompanySetting>(
        &self,
        viewer: &Viewer,
        setting: &T,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let json = |s: &T| serde_json::to_string(s).expect("settings serialise");
        let mut tx = self.write.begin().await?;
        let before: T = read(&mut *tx, viewer.org_id).await?;
        sqlx::query(&format!(
            "UPDATE organizations SET {} = $1 WHERE id = $2",
            T::COLUMN
        ))
        .bind(json(setting))
        .bind(viewer.org_id)
        .execute(&mut *tx)
        .await?;
        if before != *setting {
            Audit::by(viewer, now)
                .record(
                    &mut tx,
                    "organization",
                    viewer.org_id,
                    "update",
                    &[FieldChange {
                        field: T::COLUMN.into(),
                        before: Some(json(&before)),
                        after: Some(json(setting)),
                    }],
                )
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
