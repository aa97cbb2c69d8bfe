//! Uploaded app logos: PNG, JPEG or WebP (never SVG, which can carry
//! script), at most 256 KiB, between 48 and 2048 pixels a side. The type is
//! read from the file's own bytes, not from what the upload claims.

/// The largest logo accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;
const MIN_SIDE: usize = 48;
const MAX_SIDE: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoType {
    Png,
    Jpeg,
    Webp,
}

impl LogoType {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }

    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("Choose an image file for the logo.")]
    Empty,
    #[error("The logo is {0} KB; the limit is 256 KB.")]
    TooLarge(usize),
    #[error("The logo must be a PNG, JPEG or WebP image (SVG is not accepted).")]
    WrongType,
    #[error("The image could not be read; save it again as PNG and retry.")]
    Unreadable,
    #[error("The logo is {width}×{height} pixels; each side must be 48 to 2048 pixels.")]
    WrongSize { width: usize, height: usize },
}

/// A logo that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub kind: LogoType,
    pub width: usize,
    pub height: usize,
}

impl Logo {
    pub fn check(bytes: &[u8]) -> Result<Self, LogoError> {
        if bytes.is_empty() {
            return Err(LogoError::Empty);
        }
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(LogoError::TooLarge(bytes.len().div_ceil(1024)));
        }
        let kind = LogoType::sniff(bytes).ok_or(LogoError::WrongType)?;
        let size = imagesize::blob_size(bytes).map_err(|_| LogoError::Unreadable)?;
        let (width, height) = (size.width, size.height);
        let fits = |side: usize| (MIN_SIDE..=MAX_SIDE).contains(&side);
        if !fits(width) || !fits(height) {
            return Err(LogoError::WrongSize { width, height });
        }
        Ok(Self {
            kind,
            width,
            height,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header of a PNG of the given size (enough for the checks).
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn a_png_of_a_fair_size_passes() {
        let logo = Logo::check(&png(128, 128)).unwrap();
        assert_eq!(
            (logo.kind, logo.width, logo.height),
            (LogoType::Png, 128, 128)
        );
    }

    #[test]
    fn wrong_files_say_why() {
        assert_eq!(Logo::check(b""), Err(LogoError::Empty));
        assert_eq!(
            Logo::check(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"),
            Err(LogoError::WrongType)
        );
        assert_eq!(
            Logo::check(&png(16, 16)),
            Err(LogoError::WrongSize {
                width: 16,
                height: 16
            })
        );
        let mut big = png(128, 128);
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(Logo::check(&big), Err(LogoError::TooLarge(257)));
        assert_eq!(
            Logo::check(b"\x89PNG\r\n\x1a\n"),
            Err(LogoError::Unreadable)
        );
    }
}
