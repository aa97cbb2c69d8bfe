//! Hydrates the server-rendered page in the browser.

// The pages' typed views, laid out here where they hydrate, nest deeper
// than the default limit in builds without `erase_components` (release).
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
