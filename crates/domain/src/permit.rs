//! Shapes of the developer hall's registry identifiers: 项目编号 and permit / certificate numbers, shared by the
//! project and building businesses (below both, so they depend on it and not on each other).

use crate::ids::normalize_code;
use crate::issue::{Code, Issue};

/// 项目编号: "XM" + 8 digits (a centre-wide sequence, REFERENCE §D6 has 楼盘编号 as a plain sequence).
pub fn is_project_id(s: &str) -> bool {
    s.len() == 10 && s.starts_with("XM") && s[2..].bytes().all(|b| b.is_ascii_digit())
}

/// A permit / certificate number: 1–50 characters; letters, digits, CJK and the brackets and dashes permits are
/// printed with (衡房预售许字〔2025〕第012号, 建字第430400202500123号).
pub fn check_permit(field: &'static str, s: &str) -> Result<String, Issue> {
    let n = normalize_code(s).into_owned();
    if n.is_empty() {
        return Err(Issue::new(
            0,
            field,
            Code::Required,
            format!("{field}不能为空，请按证书填写"),
        ));
    }
    let ok = n.chars().count() <= 50
        && n.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '\u{4E00}'..='\u{9FFF}')
                || "()〔〕[]【】-（）第号字".contains(c)
        });
    if ok {
        Ok(n)
    } else {
        Err(Issue::new(
            0,
            field,
            Code::PermitNumberInvalid,
            format!("{field}“{n}”格式不正确：应为 1–50 位汉字、字母、数字或括号，请按证书原样填写"),
        ))
    }
}
