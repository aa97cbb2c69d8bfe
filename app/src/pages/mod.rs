pub mod account;
pub mod auth;
pub mod dev;
pub mod gallery;
pub mod home;
pub mod not_found;
pub mod publisher;
pub mod review;
