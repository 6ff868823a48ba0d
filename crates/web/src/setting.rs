//! Company settings kept whole (`store::CompanySetting`): read by anyone in the company,
//! replaced by an admin after the domain's check — one API shape for each of them.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::AppState;
use axum::extract::State;
use axum::routing::{get, MethodRouter};
use axum::Json;
use yingpan_domain::permission::Action;
use yingpan_domain::ValidationError;
use yingpan_store::CompanySetting;

/// A setting the domain checks before it is kept.
pub trait Checked: CompanySetting + 'static {
    fn checked(self) -> Result<Self, ValidationError>
    where
        Self: Sized;
}

impl Checked for yingpan_domain::screening::ScreeningSettings {
    fn checked(self) -> Result<Self, ValidationError> {
        self.check()
    }
}

impl Checked for yingpan_domain::quotation::QuotationSettings {
    fn checked(self) -> Result<Self, ValidationError> {
        self.check()
    }
}

/// Checks and keeps a setting an admin submitted (from the API or a settings page).
pub async fn save<T: Checked>(
    state: &AppState,
    me: &CurrentUser,
    setting: T,
) -> Result<T, AppError> {
    me.may(Action::ManageOrganization)?;
    let setting = setting.checked()?;
    state
        .store
        .set_company_setting(&me.viewer, &setting, state.now())
        .await?;
    Ok(setting)
}

async fn api_get<T: Checked>(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<T>, AppError> {
    Ok(Json(
        state.store.company_setting::<T>(me.viewer.org_id).await?,
    ))
}

async fn api_put<T: Checked>(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(setting): JsonBody<T>,
) -> Result<Json<T>, AppError> {
    Ok(Json(save(&state, &me, setting).await?))
}

/// What `api::<T>()` answers, served at `path`.
pub(crate) fn answers<T: Checked + utoipa::ToSchema>(
    path: &'static str,
) -> Vec<crate::described::Answer> {
    vec![
        crate::described::answer("get", path, api_get::<T>),
        crate::described::answer("put", path, api_put::<T>),
    ]
}

/// `GET` and `PUT` of one setting.
pub fn api<T: Checked>() -> MethodRouter<AppState> {
    get(api_get::<T>).put(api_put::<T>)
}
