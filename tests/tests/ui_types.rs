//! The TypeScript declarations of every type the window receives or sends (ui/src/generated/types.ts) are
//! generated from the Rust definitions with ts-rs; this test fails when the checked-in file is stale, so a field
//! renamed in Rust breaks the UI's type check instead of a screen. Regenerate with
//! `GJJ_WRITE_UI_TYPES=1 cargo test -p gjj-tests --test ui_types`.

use std::path::PathBuf;

use ts_rs::{Config, TS};

const HEADER: &str = "// Generated from the Rust types by tests/tests/ui_types.rs (ts-rs): do not edit.\n\
// After changing one of these types run `GJJ_WRITE_UI_TYPES=1 cargo test -p gjj-tests --test ui_types`.\n";

macro_rules! declarations {
    ($cfg:expr; $($t:ty),* $(,)?) => {{
        let mut out = String::from(HEADER);
        $(
            out.push('\n');
            out.push_str("export ");
            out.push_str(&<$t as TS>::decl($cfg));
            out.push('\n');
        )*
        out
    }};
}

fn generated() -> String {
    // Money is integer fen and counts fit a JavaScript number: i64 → number, not bigint.
    let cfg = Config::new().with_large_int("number");
    use gjj_client::app::*;
    use gjj_client::doctor::{Check, CheckStatus, DoctorReport};
    use gjj_client::keys::*;
    use gjj_client::settings::{Settings, SettingsView};
    use gjj_domain::api::*;
    declarations!(&cfg;
        // gjj-domain: the wire types the centre answers with.
        gjj_domain::issue::Issue,
        gjj_domain::month::Month,
        gjj_domain::money::Fen,
        gjj_domain::rate::Rate,
        gjj_domain::area::Area,
        gjj_domain::unit::UnitStatus,
        gjj_domain::unit::UnitFacts,
        Role,
        Me,
        RowAccount,
        gjj_domain::loan_application::LoanPlan,
        ApplicantOutcome,
        Receipt,
        SubmissionStatus,
        SubmissionView,
        gjj_domain::project::Project,
        gjj_domain::building::HouseView,
        gjj_domain::building::BuildingView,
        gjj_domain::project::ProjectView,
        gjj_domain::project_material::FileType,
        gjj_domain::project_material::Material,
        // gjj-sheets: the grid.
        gjj_sheets::GridRow,
        // gjj-client: the app's commands.
        AppError,
        BusinessInfo,
        AppInfo,
        Settings,
        SettingsView,
        ModuleInfo,
        WarningLevel,
        ExpiryWarning,
        CertInfo,
        PinFlags,
        SkfKeyInfo,
        StoreKeyInfo,
        KeyInfo,
        KeyList,
        LoginInfo,
        KeyChoice,
        Home,
        HistoryEntry,
        HistoryFilter,
        gjj_client::Draft,
        DraftView,
        BatchSummary,
        SheetOrigin,
        gjj_client::offline::OfflineReport,
        CellIssue,
        GridRowView,
        BatchProgress,
        CheckStatus,
        Check,
        DoctorReport,
    )
}

fn target() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/generated/types.ts")
}

/// The command names the UI invokes (ui/src/api.ts) are exactly the commands src-tauri registers: a renamed or
/// removed command fails here, not on a clerk's screen.
#[test]
fn the_ui_invokes_exactly_the_registered_commands() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let api = std::fs::read_to_string(root.join("ui/src/api.ts")).expect("ui/src/api.ts");
    let commands = std::fs::read_to_string(root.join("src-tauri/src/commands.rs")).expect("commands.rs");
    let mut invoked: Vec<&str> = api
        .split("invoke<")
        .skip(1)
        .filter_map(|rest| rest.split_once(">(\"").map(|(_, r)| r))
        .filter_map(|r| r.split('"').next())
        .collect();
    invoked.sort_unstable();
    invoked.dedup();
    let list = commands
        .split_once("generate_handler![")
        .and_then(|(_, r)| r.split_once(']'))
        .map(|(l, _)| l)
        .expect("generate_handler! list");
    let mut registered: Vec<&str> = list.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
    registered.sort_unstable();
    assert_eq!(invoked, registered);
}

/// Top-level comma split, brackets of every kind (generics included) kept together.
fn split_top(text: &str) -> Vec<String> {
    let (mut parts, mut current, mut depth) = (Vec::new(), String::new(), 0i32);
    for c in text.chars() {
        match c {
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current).trim().to_owned());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current.trim().to_owned());
    parts.retain(|p| !p.is_empty());
    parts
}

/// The text inside the bracket that opens at the start of `text`, to its matching close.
fn bracketed(text: &str) -> &str {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '{' => depth += 1,
            ')' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[1..i];
                }
            }
            _ => {}
        }
    }
    ""
}

/// Every command's argument names as the window sends them: what api.ts passes to `invoke` against the Rust
/// parameters (Tauri takes them in camelCase; the State, AppHandle and Window parameters are not sent).
#[test]
fn the_ui_sends_every_command_the_arguments_its_rust_signature_takes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let api = std::fs::read_to_string(root.join("ui/src/api.ts")).expect("ui/src/api.ts");
    let commands = std::fs::read_to_string(root.join("src-tauri/src/commands.rs")).expect("commands.rs");
    let camel = |name: &str| {
        let mut out = String::new();
        let mut upper = false;
        for c in name.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    };
    let mut rust = std::collections::BTreeMap::new();
    for item in commands.split("#[tauri::command]").skip(1) {
        let Some((_, rest)) = item.split_once("fn ") else {
            continue;
        };
        let Some((name, rest)) = rest.split_once('(') else {
            continue;
        };
        let params = bracketed(&format!("({rest}")).to_owned();
        let mut args: Vec<String> = split_top(&params)
            .into_iter()
            .filter_map(|p| {
                p.split_once(':')
                    .map(|(n, t)| (n.trim().to_owned(), t.trim().to_owned()))
            })
            .filter(|(_, t)| !(t.contains("State<") || t.contains("AppHandle") || t.contains("Window")))
            .map(|(n, _)| camel(&n))
            .collect();
        args.sort();
        rust.insert(name.trim().to_owned(), args);
    }
    let mut checked = 0;
    for call in api.split("invoke<").skip(1) {
        let Some((_, after)) = call.split_once(">(\"") else {
            continue;
        };
        let Some((name, rest)) = after.split_once('"') else {
            continue;
        };
        let rest = rest.trim_start();
        let mut sent: Vec<String> = match rest.strip_prefix(',') {
            Some(object) => split_top(bracketed(object.trim_start()))
                .into_iter()
                .map(|p| p.split(':').next().unwrap_or_default().trim().to_owned())
                .collect(),
            None => Vec::new(),
        };
        sent.sort();
        let expected = rust
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not a command"));
        assert_eq!(
            &sent, expected,
            "invoke(\"{name}\") sends {sent:?}, the command takes {expected:?}"
        );
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} invoke calls found in api.ts");
}

#[test]
fn the_ui_types_are_the_rust_types() {
    let fresh = generated();
    if std::env::var_os("GJJ_WRITE_UI_TYPES").is_some() {
        std::fs::write(target(), &fresh).expect("write ui/src/generated/types.ts");
        return;
    }
    let checked_in = std::fs::read_to_string(target()).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "ui/src/generated/types.ts is stale: run `GJJ_WRITE_UI_TYPES=1 cargo test -p gjj-tests --test ui_types` \
         and commit the file (then fix what the UI's type check reports)"
    );
}

/// The forms' field lists (ui/src/generated/forms.ts) are the client core's (`gjj_client::app::form_fields`),
/// which derives them from the domain's field enums: a field added, renamed or made optional in Rust changes the
/// screen, or this test fails until the file is regenerated.
#[test]
fn the_form_fields_are_the_rust_field_lists() {
    let fields = serde_json::to_string_pretty(&gjj_client::app::form_fields()).expect("form fields as JSON");
    let fresh = format!(
        "// Generated from gjj_client::app::form_fields() by tests/tests/ui_types.rs: do not edit.\n\
         // After changing a form's fields run `GJJ_WRITE_UI_TYPES=1 cargo test -p gjj-tests --test ui_types`.\n\
         import type {{ FieldDef }} from \"../forms/types\";\n\n\
         export const FORM_FIELDS = {fields} satisfies Record<string, FieldDef[]>;\n"
    );
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/generated/forms.ts");
    if std::env::var_os("GJJ_WRITE_UI_TYPES").is_some() {
        std::fs::write(&target, &fresh).expect("write ui/src/generated/forms.ts");
        return;
    }
    let checked_in = std::fs::read_to_string(&target).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "ui/src/generated/forms.ts is stale: run `GJJ_WRITE_UI_TYPES=1 cargo test -p gjj-tests --test ui_types` \
         and commit the file"
    );
    // Every generated list is the one a form of the window uses.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/forms");
    let forms: String = std::fs::read_dir(&dir)
        .expect("ui/src/forms")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    for business in gjj_client::app::form_fields().keys() {
        let used = format!("fields: FORM_FIELDS.{business},");
        assert!(forms.contains(&used), "no form in ui/src/forms says `{used}`");
    }
}
