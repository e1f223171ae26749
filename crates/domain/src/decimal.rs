//! A tiny exact decimal reader shared by the money and rate parsers.
//!
//! Why not `str::parse::<f64>`: "0.29" as f64 is 0.28999…, and money must never pass through
//! binary floating point. This reads the digits and scales them as integers.

/// Why a decimal string was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecimalError {
    /// Not of the shape `digits[.digits]` (with valid thousands grouping when allowed).
    Invalid,
    /// More significant decimal places than the scale allows (trailing zeros are fine).
    TooPrecise,
    /// The scaled value does not fit in an `i64`.
    Overflow,
}

/// Parses an unsigned decimal such as `123`, `123.45` or (when `allow_grouping`) `1,234.5` and
/// returns it multiplied by `10^scale`.
///
/// Decimal places beyond `scale` are accepted only when they are all zero ("3000.500" is an
/// exact fen value); an integer part is required and a trailing bare `.` is refused, because both
/// usually mean a typing slip rather than a number.
pub(crate) fn parse_scaled(s: &str, scale: u32, allow_grouping: bool) -> Result<i64, DecimalError> {
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int_part.is_empty() {
        return Err(DecimalError::Invalid);
    }
    let mut value: i64 = 0;
    let push_digit = |value: i64, b: u8| -> Result<i64, DecimalError> {
        value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(DecimalError::Overflow)
    };
    if int_part.contains(',') {
        if !allow_grouping {
            return Err(DecimalError::Invalid);
        }
        // Thousands grouping must be exact: "3,000" yes, "30,00" (a decimal comma?) no.
        for (i, group) in int_part.split(',').enumerate() {
            let ok_len = if i == 0 {
                (1..=3).contains(&group.len())
            } else {
                group.len() == 3
            };
            if !ok_len || !group.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DecimalError::Invalid);
            }
            for b in group.bytes() {
                value = push_digit(value, b)?;
            }
        }
    } else {
        if !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DecimalError::Invalid);
        }
        for b in int_part.bytes() {
            value = push_digit(value, b)?;
        }
    }
    let frac = frac_part.unwrap_or("");
    if frac_part.is_some() && frac.is_empty() {
        return Err(DecimalError::Invalid);
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecimalError::Invalid);
    }
    let scale_len = scale as usize;
    if frac.len() > scale_len && frac.bytes().skip(scale_len).any(|b| b != b'0') {
        return Err(DecimalError::TooPrecise);
    }
    for i in 0..scale_len {
        let digit = frac.as_bytes().get(i).copied().unwrap_or(b'0');
        value = push_digit(value, digit)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_scaled_table() {
        let cases: &[(&str, u32, bool, Result<i64, DecimalError>)] = &[
            ("0", 2, false, Ok(0)),
            ("3000", 2, false, Ok(300_000)),
            ("3000.5", 2, false, Ok(300_050)),
            ("3000.05", 2, false, Ok(300_005)),
            ("3000.500", 2, false, Ok(300_050)),
            ("3000.505", 2, false, Err(DecimalError::TooPrecise)),
            ("3,000.50", 2, true, Ok(300_050)),
            ("1,234,567", 0, true, Ok(1_234_567)),
            ("3,000", 2, false, Err(DecimalError::Invalid)),
            ("30,00", 2, true, Err(DecimalError::Invalid)),
            ("1234,567", 2, true, Err(DecimalError::Invalid)),
            (",300", 2, true, Err(DecimalError::Invalid)),
            ("", 2, false, Err(DecimalError::Invalid)),
            (".5", 2, false, Err(DecimalError::Invalid)),
            ("5.", 2, false, Err(DecimalError::Invalid)),
            ("1.2.3", 2, false, Err(DecimalError::Invalid)),
            ("12a", 2, false, Err(DecimalError::Invalid)),
            ("99999999999999999999", 2, false, Err(DecimalError::Overflow)),
        ];
        for (input, scale, grouping, want) in cases {
            assert_eq!(parse_scaled(input, *scale, *grouping), *want, "input {input:?}");
        }
    }
}
