//! Starts mpg-lsp for Zed. The server is a Python program the user installs
//! (pipx, uv tool, or a project venv); the extension only finds and runs it.

use zed_extension_api::{self as zed, serde_json, settings::LspSettings, LanguageServerId, Result};

const SERVER: &str = "mpg-lsp";

struct MpgLsp;

impl MpgLsp {
    /// The user's `lsp.mpg-lsp` block from Zed's settings, if any.
    fn settings(worktree: &zed::Worktree) -> LspSettings {
        LspSettings::for_worktree(SERVER, worktree).unwrap_or_default()
    }
}

impl zed::Extension for MpgLsp {
    fn new() -> Self {
        MpgLsp
    }

    fn language_server_command(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let binary = Self::settings(worktree).binary;
        // An explicit path in settings wins over PATH, so a project venv
        // (.venv/bin/mpg-lsp) can be used without activating it.
        let command = binary
            .as_ref()
            .and_then(|b| b.path.clone())
            .or_else(|| worktree.which(SERVER))
            .ok_or_else(|| {
                format!(
                    "{SERVER} is not on PATH: install it (pipx install mpg-lsp) \
                     or set lsp.{SERVER}.binary.path in Zed's settings"
                )
            })?;
        let args = binary
            .and_then(|b| b.arguments)
            .unwrap_or_else(|| vec!["--stdio".to_string()]);
        Ok(zed::Command {
            command,
            args,
            env: worktree.shell_env(),
        })
    }

    fn language_server_initialization_options(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(Self::settings(worktree).initialization_options)
    }

    fn language_server_workspace_configuration(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(Self::settings(worktree).settings)
    }
}

zed::register_extension!(MpgLsp);
