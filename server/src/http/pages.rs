//! Leptos page rendering, with the engine in context and a CSP nonce.

use app::{shell, App};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

use super::AppState;

fn context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let engine = state.engine.clone();
    move || {
        provide_context(engine.clone());
        leptos::nonce::provide_nonce();
    }
}

/// The app's routes, generated once per process: generating renders the app
/// in a special mode, which must not overlap with a real render.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn routes(state: &AppState) -> Router<AppState> {
    let leptos = state.leptos.clone();
    Router::new().leptos_routes_with_context(state, route_list(), context(state), move || {
        shell(leptos.clone())
    })
}

/// Static files from the site root, else the app's not-found page.
pub async fn fallback(State(state): State<AppState>, request: Request<Body>) -> Response {
    let handler =
        leptos_axum::file_and_error_handler_with_context::<AppState, _>(context(&state), shell);
    handler(
        axum::http::Uri::clone(request.uri()),
        State(state.clone()),
        request,
    )
    .await
    .into_response()
}

/// Renders the page at `path` for the session of `original` (its
/// extensions), e.g. a form again with a status other than 200.
pub async fn render(state: &AppState, path: &str, extensions: axum::http::Extensions) -> Response {
    let leptos = state.leptos.clone();
    let handler =
        leptos_axum::render_app_async_with_context(context(state), move || shell(leptos.clone()));
    let mut request = Request::new(Body::empty());
    *request.extensions_mut() = extensions;
    match path.parse() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => tracing::warn!(path, "render: not a valid path"),
    }
    handler(request).await.into_response()
}
