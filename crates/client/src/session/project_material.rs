//! 补充项目材料 uploads: declare the file, send only the chunks the centre does not have, then sign the
//! manifest. A broken connection costs only the chunk in flight: the next attempt (even from a new session or
//! process) re-declares the same file, learns which chunks the centre holds and sends the rest.

use gjj_domain::api::ApiError;
use gjj_domain::issue::Issue;
use gjj_domain::project_material::{
    self, Manifest, Material, MaterialReceipt, UploadDeclaration, UploadState,
};

use super::{clean, content_type, Session};
use crate::ClientError;

/// What [`Session::upload_material`] did.
#[derive(Clone, Debug)]
pub struct MaterialUpload {
    /// The recorded material and the receipt of its signed manifest.
    pub receipt: MaterialReceipt,
    /// Chunks sent by this call.
    pub chunks_sent: u64,
    /// Chunks the centre already had (not sent again).
    pub chunks_skipped: u64,
}

/// A file to attach.
#[derive(Clone, Copy, Debug)]
pub struct MaterialFile<'a> {
    /// 项目编号.
    pub project: &'a str,
    /// 楼栋编号, when the material belongs to a building.
    pub building: Option<&'a str>,
    /// 材料类型 code.
    pub kind: &'a str,
    /// Original file name (metadata only).
    pub name: &'a str,
    /// The file's bytes.
    pub bytes: &'a [u8],
}

impl MaterialFile<'_> {
    /// The declaration of this file (its SHA-256 computed here).
    pub fn declaration(&self) -> UploadDeclaration {
        UploadDeclaration {
            project: self.project.trim().to_owned(),
            building: self.building.map(|b| b.trim().to_owned()),
            kind: self.kind.trim().to_owned(),
            name: self.name.to_owned(),
            size: self.bytes.len() as u64,
            sha256: hex::encode(ring::digest::digest(&ring::digest::SHA256, self.bytes)),
        }
    }
}

/// The signed manifest for a declaration.
pub fn manifest_of(decl: &UploadDeclaration) -> Manifest {
    Manifest {
        project: decl.project.clone(),
        building: decl.building.clone(),
        kind: decl.kind.clone(),
        name: decl.name.clone(),
        size: decl.size,
        sha256: decl.sha256.clone(),
    }
}

fn local_refusal(issue: Issue) -> ClientError {
    // The centre's own rule, run before sending: reported as the centre would (422, same code).
    ClientError::Api {
        status: 422,
        body: ApiError {
            code: issue.code.as_str().to_owned(),
            message: issue.message.clone(),
            issues: vec![issue],
        },
    }
}

impl Session {
    /// `POST /api/v1/project_material/uploads`: declares a file; the centre answers what it already has.
    pub async fn material_declare(&self, decl: &UploadDeclaration) -> Result<UploadState, ClientError> {
        self.post_json("/api/v1/project_material/uploads", decl).await
    }

    /// `PUT /api/v1/project_material/uploads/{id}/chunks/{index}`.
    pub async fn material_put_chunk(
        &self,
        upload_id: &str,
        index: u64,
        bytes: Vec<u8>,
    ) -> Result<UploadState, ClientError> {
        let path = format!(
            "/api/v1/project_material/uploads/{}/chunks/{index}",
            clean(upload_id)
        );
        Ok(self
            .send(
                http::Method::PUT,
                &path,
                content_type("application/octet-stream"),
                bytes,
            )
            .await?
            .0)
    }

    /// `POST /api/v1/project_material/uploads/{id}/complete`: signs the manifest with the session's key. The
    /// idempotency key is derived from the upload and the manifest, so a retry after a lost answer (from any
    /// process) is the same submission.
    pub async fn material_complete(
        &self,
        upload_id: &str,
        manifest: &Manifest,
    ) -> Result<MaterialReceipt, ClientError> {
        let body = serde_json::to_vec(manifest).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let mut keyed = upload_id.as_bytes().to_vec();
        keyed.extend_from_slice(&body);
        let key = format!(
            "pm-{}",
            &hex::encode(ring::digest::digest(&ring::digest::SHA256, &keyed))[..40]
        );
        let path = format!("/api/v1/project_material/uploads/{}/complete", clean(upload_id));
        Ok(self.post_signed_json(&path, &key, body).await?.0)
    }

    /// `GET /api/v1/project_material?project=…`.
    pub async fn materials(&self, project: &str) -> Result<Vec<Material>, ClientError> {
        self.get(&format!("/api/v1/project_material?project={}", clean(project)))
            .await
    }

    /// `GET /api/v1/project_material/{id}/content`: the file's bytes (checked against the SHA-256 the centre
    /// states for them).
    pub async fn material_content(&self, id: &str) -> Result<Vec<u8>, ClientError> {
        let reply = self
            .exchange(
                http::Method::GET,
                &format!("/api/v1/project_material/{}/content", clean(id)),
                http::HeaderMap::new(),
                Vec::new(),
            )
            .await?;
        let stated = reply
            .headers
            .get("X-Gjj-Content-Sha256")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = reply.body;
        if !reply.status.is_success() {
            return Err(super::api_error(reply.status, &bytes));
        }
        let digest = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
        if stated.is_some_and(|s| s != digest) {
            return Err(ClientError::Protocol(
                "下载的材料与中心记录的摘要不符，请重新下载".into(),
            ));
        }
        Ok(bytes.to_vec())
    }

    /// Uploads a file in chunks and records it: checks the type by content first (the centre checks again),
    /// sends only what the centre lacks, then signs the manifest. Safe to call again after any failure.
    pub async fn upload_material(&self, file: MaterialFile<'_>) -> Result<MaterialUpload, ClientError> {
        project_material::sniff(file.bytes).map_err(local_refusal)?;
        let decl = file.declaration();
        // The per-file limit is the centre's configuration: it is checked when declaring.
        if let Some(issue) = project_material::check_declaration(&decl, u64::MAX)
            .into_iter()
            .next()
        {
            return Err(local_refusal(issue));
        }
        let state = self.material_declare(&decl).await?;
        // The loop below trusts the answer's chunk size and count: one that does not fit the file is refused
        // rather than followed (see `UploadState::fits`).
        if !state.fits(decl.size) {
            return Err(ClientError::Protocol(
                "中心返回的上传状态与文件大小不符（分片大小或片数不对），未上传。请稍后重试；若反复出现请联系中心。".into(),
            ));
        }
        let mut sent = 0u64;
        let skipped = state.received.len() as u64;
        if state.material.is_none() {
            for index in state.missing() {
                let start = usize::try_from(index.saturating_mul(state.chunk_size)).unwrap_or(usize::MAX);
                let len = usize::try_from(project_material::chunk_len(decl.size, state.chunk_size, index))
                    .unwrap_or(0);
                let chunk = file
                    .bytes
                    .get(start..start.saturating_add(len))
                    .ok_or_else(|| ClientError::Protocol("分片超出文件范围".into()))?;
                self.material_put_chunk(&state.upload_id, index, chunk.to_vec())
                    .await?;
                sent += 1;
            }
        }
        let receipt = self
            .material_complete(&state.upload_id, &manifest_of(&decl))
            .await?;
        Ok(MaterialUpload {
            receipt,
            chunks_sent: sent,
            chunks_skipped: skipped,
        })
    }
}
