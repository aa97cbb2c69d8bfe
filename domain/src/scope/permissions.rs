//! The `cruds` permission set, and how SMART v1 words map onto it.

/// Permissions as a set of `c r u d s`, kept in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
// The bits are visible to the rest of `scope` so `describe` can test single
// letters; outside it, only the named sets exist.
pub struct Permissions(pub(super) u8);

impl Permissions {
    const ORDER: [(char, u8); 5] = [('c', 1), ('r', 2), ('u', 4), ('d', 8), ('s', 16)];
    pub const READ: Permissions = Permissions(2 | 16);
    pub const WRITE: Permissions = Permissions(1 | 4 | 8);
    pub const ALL: Permissions = Permissions(31);

    pub fn contains(self, other: Permissions) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn intersect(self, other: Permissions) -> Option<Permissions> {
        let bits = self.0 & other.0;
        (bits != 0).then_some(Permissions(bits))
    }

    /// Parses v2 permissions: an ordered, non-empty subset of `cruds`.
    pub(super) fn parse_v2(text: &str) -> Option<Permissions> {
        let mut bits = 0u8;
        let mut position = 0;
        for c in text.chars() {
            let index = Self::ORDER
                .iter()
                .skip(position)
                .position(|(letter, _)| *letter == c)?
                + position;
            bits |= Self::ORDER[index].1;
            position = index + 1;
        }
        (bits != 0).then_some(Permissions(bits))
    }

    pub(super) fn v2_text(self) -> String {
        Self::ORDER
            .iter()
            .filter(|(_, bit)| self.0 & bit != 0)
            .map(|(c, _)| *c)
            .collect()
    }
}
