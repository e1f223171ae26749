//! 补充项目材料 from the command line: `gjj material upload --project XM… --kind CODE FILE [--json]` (chunked;
//! run it again after a broken connection and only the missing chunks are sent), `gjj material list --project
//! XM…`, `gjj material get ID -o FILE`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use clap::Subcommand;
use gjj_client::app::Reach;
use gjj_domain::project_material::{human_size, KINDS};
use serde_json::json;

use crate::{config, login};

/// `gjj material …`.
#[derive(Subcommand)]
pub enum MaterialCmd {
    /// Upload one file (PDF, JPG, PNG or OFD, judged by content) to a project; prints the material and receipt
    Upload {
        /// 项目编号 (XM…)
        #[arg(long)]
        project: String,
        /// 楼栋编号, when the material belongs to one building
        #[arg(long)]
        building: Option<String>,
        /// 材料类型: code or name (01 营业执照, 02 资质证书, … 99 其他)
        #[arg(long)]
        kind: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The project's materials
    List {
        #[arg(long)]
        project: String,
        #[arg(long)]
        json: bool,
    },
    /// Download one material's file
    Get {
        /// 材料编号 (CL…)
        id: String,
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

impl MaterialCmd {
    /// Whether errors print as JSON.
    pub fn json(&self) -> bool {
        match self {
            MaterialCmd::Upload { json, .. }
            | MaterialCmd::List { json, .. }
            | MaterialCmd::Get { json, .. } => *json,
        }
    }
}

/// Runs a `gjj material` command.
pub async fn run(settings: &config::Settings, cmd: MaterialCmd) -> Result<ExitCode> {
    match cmd {
        MaterialCmd::Upload {
            project,
            building,
            kind,
            file,
            json,
        } => {
            let entry = KINDS
                .find(&kind)
                .ok_or_else(|| anyhow!("材料类型“{kind}”不存在。请填写：{}。", KINDS.describe()))?;
            let app = login::login(settings, Reach::Online).await?;
            let done = app
                .upload(&project, entry.code, &file, building.as_deref())
                .await?;
            let m = &done.receipt.material;
            if json {
                println!(
                    "{}",
                    json!({
                        "material": m,
                        "receipt": done.receipt.receipt,
                        "existing": done.receipt.existing,
                        "chunks_sent": done.chunks_sent,
                        "chunks_skipped": done.chunks_skipped,
                    })
                );
            } else {
                if done.receipt.existing {
                    println!("该文件已在项目 {} 的材料中，中心只保存一份。", m.project);
                } else {
                    println!("中心已接收材料（业务流水号 {}）。", m.serial);
                }
                println!(
                    "材料编号 {}  {}  {}  {}  SHA-256 {}",
                    m.id,
                    m.kind_label,
                    m.name,
                    human_size(m.size),
                    m.sha256
                );
                if done.chunks_skipped > 0 {
                    println!(
                        "续传：中心已有 {} 片，本次发送 {} 片。",
                        done.chunks_skipped, done.chunks_sent
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MaterialCmd::List { project, json } => {
            let list = login::login(settings, Reach::Online)
                .await?
                .materials(&project)
                .await?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else if list.is_empty() {
                println!("项目 {project} 还没有材料。");
            } else {
                for m in &list {
                    println!(
                        "{}  {}  {}  {}  {}  {}",
                        m.id,
                        m.kind_label,
                        m.name,
                        human_size(m.size),
                        m.status.label(),
                        m.uploaded_at
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MaterialCmd::Get { id, output, json } => {
            let size = login::login(settings, Reach::Online)
                .await?
                .save_material(&id, &output)
                .await?;
            if json {
                println!(
                    "{}",
                    json!({ "id": id, "output": output.display().to_string(), "size": size })
                );
            } else {
                println!("已保存到 {}（{}）。", output.display(), human_size(size as u64));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
