//! The receipt's one font: glyph look-up and measuring (ttf-parser), then a subset (subsetter) embedded as a
//! Type0/Identity-H CID font with a ToUnicode CMap, so text is both small and extractable.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId, Tag};

use crate::{deflate, ReceiptError};

const GLYF: Tag = Tag::from_bytes(b"glyf");
const CFF: Tag = Tag::from_bytes(b"CFF ");

/// Object ids of the font's PDF objects.
pub(crate) struct FontRefs {
    pub type0: Ref,
    pub cid_font: Ref,
    pub descriptor: Ref,
    pub program: Ref,
    pub to_unicode: Ref,
}

/// A font face plus the glyphs used so far (new glyph id → the character it shows, its advance).
pub(crate) struct FontUse<'a> {
    data: &'a [u8],
    index: u32,
    face: Face<'a>,
    cff: bool,
    remapper: GlyphRemapper,
    used: BTreeMap<u16, (char, u16)>,
}

impl<'a> FontUse<'a> {
    pub(crate) fn new(data: &'a [u8], index: u32) -> Result<Self, ReceiptError> {
        let face = Face::parse(data, index)
            .map_err(|e| ReceiptError::FontInvalid(format!("字体文件中第 {index} 个字体无法解析（{e}）")))?;
        let raw = face.raw_face();
        let cff = match (raw.table(GLYF).is_some(), raw.table(CFF).is_some()) {
            (true, _) => false,
            (false, true) => true,
            (false, false) => {
                return Err(ReceiptError::FontInvalid(
                    "只支持 TrueType（glyf）或 CFF 轮廓的字体，该字体两者都不是".to_owned(),
                ))
            }
        };
        Ok(FontUse {
            data,
            index,
            face,
            cff,
            remapper: GlyphRemapper::new(),
            used: BTreeMap::new(),
        })
    }

    fn glyph(&self, c: char) -> Result<(GlyphId, u16), ReceiptError> {
        let gid = self
            .face
            .glyph_index(c)
            .ok_or(ReceiptError::FontMissingGlyph(c))?;
        Ok((gid, self.face.glyph_hor_advance(gid).unwrap_or(0)))
    }

    /// Width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> Result<f32, ReceiptError> {
        let mut units = 0u32;
        for c in text.chars() {
            units += u32::from(self.glyph(c)?.1);
        }
        Ok(units as f32 * size / f32::from(self.face.units_per_em()))
    }

    /// The 2-byte codes (= CIDs = glyph ids in the subset) that show `text`, recording the glyphs used.
    pub(crate) fn encode(&mut self, text: &str) -> Result<Vec<u8>, ReceiptError> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let (gid, advance) = self.glyph(c)?;
            let new = self.remapper.remap(gid.0);
            self.used.entry(new).or_insert((c, advance));
            out.extend_from_slice(&new.to_be_bytes());
        }
        Ok(out)
    }

    fn to_pdf_units(&self, v: f32) -> f32 {
        v * 1000.0 / f32::from(self.face.units_per_em())
    }

    /// `ABCDEF+PostScriptName`: the tag (derived from the glyph set) marks the font as a subset.
    fn base_font(&self) -> String {
        let ps = self
            .face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .map(|s| {
                s.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect::<String>()
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "CJKFont".to_owned());
        // FNV-1a over the kept glyphs.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for (new, (c, _)) in &self.used {
            for b in new.to_be_bytes().into_iter().chain(u32::from(*c).to_be_bytes()) {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        let tag: String = (0..6)
            .map(|i| char::from(b'A' + ((h >> (i * 8)) % 26) as u8))
            .collect();
        format!("{tag}+{ps}")
    }

    /// Subset the font to the glyphs used and write its five objects.
    pub(crate) fn write(self, pdf: &mut Pdf, refs: &FontRefs) -> Result<(), ReceiptError> {
        let subset = subsetter::subset(self.data, self.index, &self.remapper)
            .map_err(|e| ReceiptError::FontInvalid(format!("字体子集化失败（{e}）")))?;
        // A CFF font is embedded as its bare CFF table (FontFile3 /CIDFontType0C), TrueType as the whole subset.
        let program = if self.cff {
            ttf_parser::RawFace::parse(&subset, 0)
                .ok()
                .and_then(|raw| raw.table(CFF))
                .ok_or_else(|| ReceiptError::FontInvalid("字体子集中缺少 CFF 表".to_owned()))?
                .to_vec()
        } else {
            subset
        };
        let base = self.base_font();
        let base = Name(base.as_bytes());
        let info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };

        pdf.type0_font(refs.type0)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(refs.cid_font)
            .to_unicode(refs.to_unicode);

        {
            let mut cid = pdf.cid_font(refs.cid_font);
            cid.subtype(if self.cff {
                CidFontType::Type0
            } else {
                CidFontType::Type2
            })
            .base_font(base)
            .system_info(info)
            .font_descriptor(refs.descriptor)
            .default_width(1000.0);
            if !self.cff {
                cid.cid_to_gid_map_predefined(Name(b"Identity"));
            }
            let mut widths = cid.widths();
            for (new, (_, advance)) in &self.used {
                widths.consecutive(*new, [self.to_pdf_units(f32::from(*advance))]);
            }
        }

        let bbox = self.face.global_bounding_box();
        {
            let mut descriptor = pdf.font_descriptor(refs.descriptor);
            descriptor
                .name(base)
                .flags(FontFlags::SYMBOLIC)
                .bbox(Rect::new(
                    self.to_pdf_units(f32::from(bbox.x_min)),
                    self.to_pdf_units(f32::from(bbox.y_min)),
                    self.to_pdf_units(f32::from(bbox.x_max)),
                    self.to_pdf_units(f32::from(bbox.y_max)),
                ))
                .italic_angle(self.face.italic_angle())
                .ascent(self.to_pdf_units(f32::from(self.face.ascender())))
                .descent(self.to_pdf_units(f32::from(self.face.descender())))
                .cap_height(self.to_pdf_units(f32::from(
                    self.face.capital_height().unwrap_or(self.face.ascender()),
                )))
                .stem_v(80.0);
            if self.cff {
                descriptor.font_file3(refs.program);
            } else {
                descriptor.font_file2(refs.program);
            }
        }

        let packed = deflate(&program);
        let mut stream = pdf.stream(refs.program, &packed);
        stream.filter(Filter::FlateDecode);
        if self.cff {
            stream.pair(Name(b"Subtype"), Name(b"CIDFontType0C"));
        } else {
            stream.pair(Name(b"Length1"), i32::try_from(program.len()).unwrap_or(i32::MAX));
        }
        stream.finish();

        let mut cmap = UnicodeCmap::new(Name(b"Adobe-Identity-UCS"), info);
        for (new, (c, _)) in &self.used {
            cmap.pair(*new, *c);
        }
        let cmap = deflate(&cmap.finish());
        pdf.stream(refs.to_unicode, &cmap).filter(Filter::FlateDecode);
        Ok(())
    }
}
