;;; mpg-lsp.el --- Fly.io Managed Postgres checks for Phoenix projects -*- lexical-binding: t; -*-

;; Copyright (C) 2025 The mpg-lsp authors

;; Author: The mpg-lsp authors
;; Version: 0.1.0
;; Package-Requires: ((emacs "27.1"))
;; Keywords: languages, tools, convenience
;; SPDX-License-Identifier: MIT

;; This file is not part of GNU Emacs.

;;; Commentary:

;; mpg-lsp is a language server that reads the config/*.exs files, mix.exs,
;; mix.lock and fly*.toml of a Phoenix/Ecto/Oban project, and its lib/,
;; migrations, Dockerfile, Makefile, justfile, rel/, bin/ and scripts/
;; files and GitHub workflows, and warns about settings that break behind
;; Fly.io Managed Postgres (PgBouncer in transaction mode), with quick fixes
;; and hover help.  It attaches to those files in a Mix project only, never
;; under deps/, _build/ or node_modules/.  This file connects
;; it to Emacs through either LSP client:
;;
;; lsp-mode: loading this file registers mpg-lsp as an add-on server, so it
;; runs next to ElixirLS or Expert in the same buffer.  Start lsp-mode as
;; usual (`lsp' or `lsp-deferred' in `elixir-mode-hook',
;; `conf-toml-mode-hook' and, for the deploy files, the Dockerfile,
;; Makefile, shell and YAML mode hooks); mpg-lsp joins in the files it
;; knows about.
;;
;;   (require 'mpg-lsp)
;;   (add-hook 'elixir-mode-hook #'lsp-deferred)
;;   (add-hook 'conf-toml-mode-hook #'lsp-deferred)
;;
;; Eglot: Eglot runs one server per major mode in a project, so mpg-lsp can
;; only serve Elixir buffers there if it is your only Elixir server in Eglot.
;; `mpg-lsp-eglot-setup' registers it, and `mpg-lsp-eglot-ensure' (for mode
;; hooks) starts it only in the files it knows about:
;;
;;   (require 'mpg-lsp)
;;   (mpg-lsp-eglot-setup)
;;   (add-hook 'elixir-mode-hook #'mpg-lsp-eglot-ensure)
;;   (add-hook 'conf-toml-mode-hook #'mpg-lsp-eglot-ensure)
;;   (add-hook 'dockerfile-mode-hook #'mpg-lsp-eglot-ensure)   ; and so on
;;
;; If you run ElixirLS or Expert through Eglot, use lsp-mode for mpg-lsp
;; (or for both), or set `mpg-lsp-eglot-modes' to the TOML modes only.

;;; Code:

(require 'cl-lib)

(defgroup mpg-lsp nil
  "Fly.io Managed Postgres checks for Phoenix projects, via mpg-lsp."
  :group 'tools
  :prefix "mpg-lsp-")

(defcustom mpg-lsp-command '("mpg-lsp" "--stdio")
  "Program and arguments that start the mpg-lsp language server.
Use an absolute path when mpg-lsp is installed in a virtual
environment that is not on the variable `exec-path'."
  :type '(repeat string))

(defcustom mpg-lsp-eglot-modes
  '((elixir-mode :language-id "elixir")
    (elixir-ts-mode :language-id "elixir")
    (conf-toml-mode :language-id "toml")
    (toml-ts-mode :language-id "toml")
    (dockerfile-mode :language-id "dockerfile")
    (dockerfile-ts-mode :language-id "dockerfile")
    (makefile-mode :language-id "makefile")
    (makefile-gmake-mode :language-id "makefile")
    (makefile-bsdmake-mode :language-id "makefile")
    (just-mode :language-id "just")
    (just-ts-mode :language-id "just")
    (sh-mode :language-id "shellscript")
    (bash-ts-mode :language-id "shellscript")
    (yaml-mode :language-id "yaml")
    (yaml-ts-mode :language-id "yaml"))
  "Major modes that `mpg-lsp-eglot-setup' hands to mpg-lsp in Eglot.
Each entry is a mode, or a list (MODE :language-id ID), as in
`eglot-server-programs'; modes not installed do no harm.  Eglot
runs one server per buffer, and this entry goes before its defaults:
remove the modes another Eglot server handles for you (the Elixir
modes under ElixirLS or Expert, `sh-mode' under bash-language-server,
the YAML or Dockerfile modes under theirs)."
  :type '(repeat (choice symbol (list symbol (const :language-id) string))))

;;;; Which files mpg-lsp looks at

(defun mpg-lsp--fly-toml-p (file)
  "Return non-nil if FILE is named like fly.toml or fly.staging.toml."
  (string-match-p "\\`fly.*\\.toml\\'" (file-name-nondirectory file)))

(defun mpg-lsp--mix-project (file)
  "Return the folder of the mix.exs nearest above FILE, or nil."
  (let ((dir (locate-dominating-file file "mix.exs")))
    (and dir (file-name-as-directory (expand-file-name dir)))))

(defconst mpg-lsp--deploy-names
  '("Dockerfile" "Makefile" "makefile" "GNUmakefile" "justfile" "Justfile")
  "Deploy files mpg-lsp reads wherever they sit in a Mix project.")

(defun mpg-lsp--foreign-p (file)
  "Return non-nil if FILE lies in a dependency or build folder.
That is node_modules/ anywhere, and deps/ or _build/ next to a mix.exs."
  (let ((dir (file-name-directory (directory-file-name file)))
        found)
    (while (and dir (not found))
      (let* ((folder (directory-file-name dir))
             (name (file-name-nondirectory folder))
             (parent (file-name-directory folder)))
        (setq found (or (equal name "node_modules")
                        (and (member name '("deps" "_build"))
                             parent
                             (file-exists-p (expand-file-name "mix.exs" parent)))))
        (setq dir (and parent (not (equal parent dir)) parent))))
    found))

(defun mpg-lsp--project-file-p (rel)
  "Return non-nil if REL, a path relative to its Mix project, is read by mpg-lsp."
  (let ((case-fold-search nil)
        (name (file-name-nondirectory rel))
        (parent (file-name-nondirectory
                 (directory-file-name (or (file-name-directory rel) "")))))
    (or (member rel '("mix.exs" "mix.lock"))
        (equal name ".mpg-lsp.toml")
        (string-match-p "\\`config/.*\\.exs?\\'" rel)
        (string-match-p "\\`lib/.*\\.ex\\'" rel)
        (string-match-p "\\`priv/[^/]+/migrations/[^/]+\\.exs\\'" rel)
        (string-match-p "\\`\\(?:deploy\\|fly\\.io\\)/.*\\.toml\\'" rel)
        (member name mpg-lsp--deploy-names)
        (string-match-p "\\`Dockerfile\\.\\|\\.dockerfile\\'" name)
        (string-match-p "\\(?:\\`\\|/\\)\\.github/workflows/[^/]+\\.ya?ml\\'" rel)
        (and (not (string-prefix-p "." name))
             (or (member parent '("bin" "scripts"))
                 ;; the release's rel/env.sh.eex
                 (string-match-p "\\`rel/env\\.sh" rel))))))

(defun mpg-lsp-managed-file-p (&optional file)
  "Return non-nil if mpg-lsp has something to say about FILE.
That is fly*.toml anywhere, and in a Mix project the files the
server reads: mix.exs, mix.lock, config/**/*.exs, deploy/ and
fly.io/ TOML files, .mpg-lsp.toml, lib/**/*.ex,
priv/*/migrations/*.exs, the release's rel/ scripts, Dockerfiles,
Makefiles, justfiles, bin/* and scripts/*, and GitHub workflows.
Nothing under deps/, _build/ or node_modules/ is.  FILE defaults to
the current buffer's file."
  (let ((file (and (or file buffer-file-name)
                   (expand-file-name (or file buffer-file-name)))))
    (when (and file (not (mpg-lsp--foreign-p file)))
      (or (mpg-lsp--fly-toml-p file)
          (let ((project (mpg-lsp--mix-project file)))
            (and project
                 (string-prefix-p project file)
                 (mpg-lsp--project-file-p (file-relative-name file project))))))))

(defun mpg-lsp-project-root (&optional file)
  "Return the Mix project root for FILE, or nil outside a Mix project.
In an umbrella, that is the umbrella's folder, not the app's.  FILE
defaults to the current buffer's file."
  (let ((project (mpg-lsp--mix-project (or file buffer-file-name
                                           default-directory))))
    (when project
      (let* ((apps (directory-file-name (file-name-directory
                                         (directory-file-name project))))
             (top (file-name-directory apps)))
        (if (and (equal (file-name-nondirectory apps) "apps")
                 (file-exists-p (expand-file-name "mix.exs" top)))
            top
          project)))))

;;;; Eglot

(defvar eglot-server-programs)
(defvar eglot-lsp-context)
(declare-function eglot-ensure "eglot" ())

(defun mpg-lsp--eglot-contact (&optional _interactive)
  "Return `mpg-lsp-command' for Eglot at the time a server is started."
  mpg-lsp-command)

(defun mpg-lsp--eglot-project (dir)
  "Give Eglot the Mix project root as the project of DIR.
Only for buffers mpg-lsp manages, and only while Eglot asks, so
other tools keep seeing the projects they saw before."
  (when (and (bound-and-true-p eglot-lsp-context)
             (mpg-lsp-managed-file-p))
    (let ((root (mpg-lsp-project-root dir)))
      (and root (cons 'transient root)))))

;;;###autoload
(defun mpg-lsp-eglot-setup ()
  "Register mpg-lsp with Eglot for the modes in `mpg-lsp-eglot-modes'.
Also makes Eglot use the folder of mix.exs as the project root of
the files mpg-lsp manages, so one server serves config/*.exs, mix.exs
and fly.toml together."
  (interactive)
  (require 'eglot)
  (add-to-list 'eglot-server-programs
               (cons mpg-lsp-eglot-modes #'mpg-lsp--eglot-contact))
  (add-hook 'project-find-functions #'mpg-lsp--eglot-project))

;;;###autoload
(defun mpg-lsp-eglot-ensure ()
  "Start Eglot in this buffer if mpg-lsp manages its file.
Meant for `elixir-mode-hook', `conf-toml-mode-hook' and the like,
in place of `eglot-ensure'."
  (when (mpg-lsp-managed-file-p)
    (eglot-ensure)))

;;;; lsp-mode

(defvar lsp-language-id-configuration)
(declare-function lsp-register-client "lsp-mode" (client))
(declare-function make-lsp-client "lsp-mode" (&rest args))
(declare-function lsp-stdio-connection "lsp-mode" (command &optional test))
(declare-function lsp--client-capabilities "lsp-mode" (&optional custom))

(defun mpg-lsp--lsp-mode-capabilities ()
  "Return extra client capabilities for mpg-lsp under lsp-mode.
Older lsp-mode (8.0, in Debian 12) counts LSP columns in characters,
while the protocol's default unit is UTF-16 code units; the two
disagree after an emoji or other character beyond U+FFFF, and edits
land one column off.  Such versions do not negotiate a position
encoding, so ask for UTF-32, which is characters.  Versions that
negotiate do it right themselves and get nothing added."
  (unless (assq 'general (lsp--client-capabilities))
    '((general . ((positionEncodings . ["utf-32"]))))))

(defun mpg-lsp--register-with-lsp-mode ()
  "Register mpg-lsp as an lsp-mode add-on server."
  ;; lsp-mode names a buffer's language from its major mode, and older
  ;; versions know neither TOML mode, nor elixir-ts-mode, nor the tree-sitter
  ;; modes of Emacs 29 for the deploy files.
  (dolist (entry '((conf-toml-mode . "toml")
                   (toml-ts-mode . "toml")
                   (elixir-ts-mode . "elixir")
                   (dockerfile-mode . "dockerfile")
                   (dockerfile-ts-mode . "dockerfile")
                   (makefile-mode . "makefile")
                   (makefile-gmake-mode . "makefile")
                   (makefile-bsdmake-mode . "makefile")
                   (just-mode . "just")
                   (just-ts-mode . "just")
                   (sh-mode . "shellscript")
                   (bash-ts-mode . "shellscript")
                   (yaml-mode . "yaml")
                   (yaml-ts-mode . "yaml")))
    (unless (assq (car entry) lsp-language-id-configuration)
      (push entry lsp-language-id-configuration)))
  (lsp-register-client
   (make-lsp-client
    :new-connection (lsp-stdio-connection (lambda () mpg-lsp-command))
    :activation-fn (lambda (file _mode) (mpg-lsp-managed-file-p file))
    ;; An add-on runs beside the buffer's main server (ElixirLS, Expert,
    ;; a TOML server) instead of competing with it.
    :add-on? t
    :custom-capabilities (mpg-lsp--lsp-mode-capabilities)
    :priority -1
    :server-id 'mpg-lsp)))

(with-eval-after-load 'lsp-mode
  (mpg-lsp--register-with-lsp-mode))

(provide 'mpg-lsp)
;;; mpg-lsp.el ends here
