//! The centre's records as they are now (the unit, a contributor, a project, a material, a sealed receipt) and
//! the staff's review: reads and single actions both front ends show, each one request over the login's session.

use std::path::Path;

use gjj_domain::api::{ReviewItem, SignedReceipt, SubmissionView};
use gjj_domain::contributor_change::PersonDetails;
use gjj_domain::project::ProjectView;
use gjj_domain::unit_change::UnitDetails;

use super::{App, AppError, AppResult};
use crate::{MaterialFile, MaterialUpload, ReviewAction};

impl App {
    /// The unit's record (单位信息), the values a 单位信息变更 starts from.
    pub async fn unit(&self) -> AppResult<UnitDetails> {
        let (session, ..) = self.logged_in().await?;
        Ok(session.unit().await?)
    }

    /// One contributor's record, the values a 缴存人信息变更 starts from.
    pub async fn employee(&self, account: &str) -> AppResult<PersonDetails> {
        let (session, ..) = self.logged_in().await?;
        Ok(session.employee(account).await?)
    }

    /// One project with its buildings.
    pub async fn project(&self, id: &str) -> AppResult<ProjectView> {
        let (session, ..) = self.logged_in().await?;
        Ok(session.project(id).await?)
    }

    /// A submission's receipt as the centre sealed it (JSON + detached CMS signature).
    pub async fn sealed_receipt(&self, serial: &str) -> AppResult<SignedReceipt> {
        let (session, ..) = self.logged_in().await?;
        Ok(session.sealed_receipt(serial).await?)
    }

    /// A file attached to a project, resumable: after a broken connection only the chunks the centre lacks
    /// are sent again.
    pub async fn upload(
        &self,
        project: &str,
        kind: &str,
        path: &Path,
        building: Option<&str>,
    ) -> AppResult<MaterialUpload> {
        let (session, ..) = self.logged_in().await?;
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| AppError::io("读取文件", path, e))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(session
            .upload_material(MaterialFile {
                project,
                building,
                kind,
                name: &name,
                bytes: &bytes,
            })
            .await?)
    }

    /// A material's content, saved to `path`; its size.
    pub async fn save_material(&self, id: &str, path: &Path) -> AppResult<usize> {
        let (session, ..) = self.logged_in().await?;
        let bytes = session.material_content(id).await?;
        std::fs::write(path, &bytes).map_err(|e| AppError::io("写入文件", path, e))?;
        Ok(bytes.len())
    }

    /// Staff: the submissions waiting for the centre.
    pub async fn review_pending(&self) -> AppResult<Vec<ReviewItem>> {
        let (session, ..) = self.logged_in().await?;
        Ok(session.review_pending().await?)
    }

    /// Staff: start, approve or return a submission.
    pub async fn review(&self, serial: &str, action: ReviewAction) -> AppResult<SubmissionView> {
        let (session, ..) = self.logged_in().await?;
        Ok(session.review(serial, action).await?)
    }
}
