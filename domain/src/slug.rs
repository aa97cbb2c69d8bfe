//! URL slugs for publishers and tenants.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A lower-case slug used in URLs: `a-z`, `0-9` and inner hyphens, 2 to 48
/// characters, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("Use 2 to 48 characters.")]
    Length,
    #[error("Start with a letter and use only lower-case letters, digits and single hyphens (not at the end).")]
    Characters,
    #[error("`{0}` is reserved; choose another.")]
    Reserved(String),
}

const RESERVED: &[&str] = &[
    "admin", "api", "apps", "dev", "login", "logout", "new", "review", "signup", "static", "pkg",
];

impl Slug {
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let slug = input.trim();
        if !(2..=48).contains(&slug.len()) {
            return Err(SlugError::Length);
        }
        let starts_with_letter = slug.starts_with(|c: char| c.is_ascii_lowercase());
        let allowed = slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !starts_with_letter || !allowed || slug.ends_with('-') || slug.contains("--") {
            return Err(SlugError::Characters);
        }
        if RESERVED.contains(&slug) {
            return Err(SlugError::Reserved(slug.to_owned()));
        }
        Ok(Self(slug.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_conversions!(Slug => SlugError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_slugs_parse() {
        for input in ["demo-health", "acme", "a1", "x-ray-2"] {
            assert_eq!(Slug::parse(input).unwrap().as_str(), input);
        }
    }

    #[test]
    fn bad_slugs_name_the_rule() {
        assert_eq!(Slug::parse("a"), Err(SlugError::Length));
        assert_eq!(Slug::parse("Acme"), Err(SlugError::Characters));
        assert_eq!(Slug::parse("1acme"), Err(SlugError::Characters));
        assert_eq!(Slug::parse("acme-"), Err(SlugError::Characters));
        assert_eq!(Slug::parse("ac--me"), Err(SlugError::Characters));
        assert_eq!(
            Slug::parse("admin"),
            Err(SlugError::Reserved("admin".into()))
        );
    }
}
