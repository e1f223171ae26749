//! The page: title, labelled lines, QR code, footer — one A4 content stream.

use pdf_writer::{Content, Name, Str};
use qrcode::{Color, EcLevel, QrCode};

use crate::font::FontUse;
use crate::{qr_payload, ReceiptError, ReceiptFacts};

/// A4 in points.
pub(crate) const PAGE_WIDTH: f32 = 595.276;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;

pub(crate) const TITLE: &str = "住房公积金业务受理回执";
pub(crate) const FOOTER: &str =
    "本回执由住房公积金管理中心电子签章，可用 gjj receipt verify 或 PDF 阅读器验证签名。";

const LEFT: f32 = 64.0;
const RIGHT: f32 = PAGE_WIDTH - 64.0;
const FONT: Name<'static> = Name(b"F1");
const TITLE_SIZE: f32 = 20.0;
const BODY_SIZE: f32 = 11.0;
const BODY_LEADING: f32 = 16.0;
const FIELD_GAP: f32 = 8.0;
const QR_SIZE: f32 = 108.0;
const SMALL_SIZE: f32 = 9.0;
const FOOTER_TOP: f32 = 84.0;

struct Page<'f, 'a> {
    content: Content,
    font: &'f mut FontUse<'a>,
}

impl Page<'_, '_> {
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) -> Result<(), ReceiptError> {
        let codes = self.font.encode(text)?;
        self.content.begin_text();
        self.content.set_font(FONT, size);
        self.content.next_line(x, y);
        self.content.show(Str(&codes));
        self.content.end_text();
        Ok(())
    }

    /// Greedy line breaking at any character (Chinese text has no spaces; codes and digests are one word).
    fn wrap(&self, text: &str, size: f32, max_width: f32) -> Result<Vec<String>, ReceiptError> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut width = 0.0;
        for c in text.chars() {
            let w = self.font.width(c.encode_utf8(&mut [0; 4]), size)?;
            if width + w > max_width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                width = 0.0;
            }
            line.push(c);
            width += w;
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        Ok(lines)
    }

    fn rule(&mut self, y: f32) {
        self.content.set_stroke_gray(0.55);
        self.content.set_line_width(0.8);
        self.content.move_to(LEFT, y);
        self.content.line_to(RIGHT, y);
        self.content.stroke();
    }

    /// The modules of the QR code as filled rectangles (one per horizontal run), top-left at (x, top).
    fn qr(&mut self, payload: &str, x: f32, top: f32) -> Result<(), ReceiptError> {
        let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
            .map_err(|e| ReceiptError::ReceiptInvalid(format!("二维码内容无法编码（{e}）")))?;
        let n = code.width();
        let module = QR_SIZE / n as f32;
        self.content.set_fill_gray(0.0);
        for (row, colors) in code.to_colors().chunks(n).enumerate() {
            let y = top - (row + 1) as f32 * module;
            let mut col = 0;
            while col < n {
                if colors[col] != Color::Dark {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < n && colors[col] == Color::Dark {
                    col += 1;
                }
                self.content.rect(
                    x + start as f32 * module,
                    y,
                    (col - start) as f32 * module,
                    module,
                );
            }
        }
        self.content.fill_nonzero();
        Ok(())
    }
}

/// Caller text goes on one line each: control characters become spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The page's content stream (uncompressed).
pub(crate) fn page_content(facts: &ReceiptFacts, font: &mut FontUse<'_>) -> Result<Vec<u8>, ReceiptError> {
    let mut page = Page {
        content: Content::new(),
        font,
    };

    let title_width = page.font.width(TITLE, TITLE_SIZE)?;
    page.text(
        (PAGE_WIDTH - title_width) / 2.0,
        PAGE_HEIGHT - 84.0,
        TITLE_SIZE,
        TITLE,
    )?;
    page.rule(PAGE_HEIGHT - 102.0);

    let fields: [(&str, String); 9] = [
        ("业务流水号", clean(&facts.serial)),
        ("单位名称", clean(&facts.unit_name)),
        ("统一社会信用代码", clean(&facts.uscc)),
        ("业务类型", clean(&facts.business_label)),
        ("记录数", format!("{} 条", facts.rows)),
        ("受理时间", clean(&facts.accepted_at)),
        ("提交内容摘要", clean(&facts.digest_hex)),
        ("验证码", clean(&facts.verification_code)),
        ("签章单位", clean(&facts.signer_name)),
    ];
    let mut label_width: f32 = 0.0;
    for (label, _) in &fields {
        label_width = label_width.max(page.font.width(&format!("{label}："), BODY_SIZE)?);
    }
    let value_x = LEFT + label_width + 10.0;
    let mut y = PAGE_HEIGHT - 136.0;
    for (label, value) in &fields {
        page.text(LEFT, y, BODY_SIZE, &format!("{label}："))?;
        for line in page.wrap(value, BODY_SIZE, RIGHT - value_x)? {
            page.text(value_x, y, BODY_SIZE, &line)?;
            y -= BODY_LEADING;
        }
        y -= FIELD_GAP;
    }
    page.rule(y + BODY_LEADING - 4.0);

    let qr_top = y - 8.0;
    if qr_top - QR_SIZE < FOOTER_TOP + 8.0 {
        return Err(ReceiptError::ReceiptInvalid(
            "回执内容过长，一页 A4 放不下（单位名称等字段过长）".to_owned(),
        ));
    }
    let payload = qr_payload(facts);
    page.qr(&payload, LEFT, qr_top)?;
    let caption_x = LEFT + QR_SIZE + 20.0;
    page.text(
        caption_x,
        qr_top - 14.0,
        BODY_SIZE,
        "扫描二维码核对业务流水号与验证码",
    )?;
    let mut cy = qr_top - 32.0;
    for line in page.wrap(&payload, SMALL_SIZE, RIGHT - caption_x)? {
        page.text(caption_x, cy, SMALL_SIZE, &line)?;
        cy -= 12.0;
    }

    let mut fy = FOOTER_TOP - SMALL_SIZE;
    page.rule(FOOTER_TOP + 6.0);
    for line in page.wrap(FOOTER, SMALL_SIZE, RIGHT - LEFT)? {
        page.text(LEFT, fy, SMALL_SIZE, &line)?;
        fy -= 12.0;
    }
    Ok(page.content.finish().into_vec())
}
