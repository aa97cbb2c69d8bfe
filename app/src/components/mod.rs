pub mod app_mark;
pub mod changes;
pub mod form;
pub mod layout;
pub mod manifest_form;
pub mod table;

pub use app_mark::AppMark;
pub use changes::ChangeList;
pub use table::ScrollingTable;
