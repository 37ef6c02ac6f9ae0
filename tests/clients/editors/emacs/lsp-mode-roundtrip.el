;;; lsp-mode-roundtrip.el --- Emacs + lsp-mode round trip against mpg-lsp -*- lexical-binding: t; -*-

;;; Commentary:

;; Run by run.sh as `emacs -Q --batch -l lsp-mode-roundtrip.el', with
;; Debian's elpa-lsp-mode (8.0).  Environment as for eglot-roundtrip.el.

;;; Code:

(load (expand-file-name "harness" (file-name-directory load-file-name)) nil t)

;;; The user's configuration (README, "Emacs with lsp-mode").

(add-to-list 'load-path (getenv "MPG_CLIENT_DIR"))
(require 'mpg-lsp)
;; Optional: an explicit server command (run.sh sets MPG_LSP_CMD for some
;; runs); otherwise mpg-lsp is found on PATH.
(when (getenv "MPG_LSP_CMD")
  (setq mpg-lsp-command (list (getenv "MPG_LSP_CMD") "--stdio")))
(add-hook 'elixir-mode-hook #'lsp-deferred)
(add-hook 'conf-toml-mode-hook #'lsp-deferred)
(add-hook 'dockerfile-mode-hook #'lsp-deferred)

;;; The test.

(require 'lsp-mode)
(require 'flymake)
(setq lsp-session-file (expand-file-name "lsp-session" temporary-file-directory)
      lsp-restart 'ignore
      lsp-enable-file-watchers nil)

;; lsp-mode asks for the project root the first time; this is the answer a
;; user gives (M-x lsp-workspace-folders-add, the folder holding mix.exs).
(lsp-workspace-folders-add mpg-test-project)

(defun mpg-test-open (rel)
  "Visit REL in the project, then let Emacs be idle once.
`lsp-deferred' starts the server from an idle timer, and batch
mode is never idle by itself."
  (find-file (expand-file-name rel mpg-test-project))
  (dolist (timer (copy-sequence timer-idle-list))
    (timer-event-handler timer))
  (current-buffer))

(defun mpg-test-ours-p ()
  "Return non-nil if mpg-lsp serves the current buffer."
  (cl-some (lambda (ws) (eq (lsp--client-server-id (lsp--workspace-client ws)) 'mpg-lsp))
           (lsp-workspaces)))

(defun mpg-test-started-p ()
  "Return non-nil once mpg-lsp serves this buffer and has initialized."
  (cl-some (lambda (ws)
             (and (eq (lsp--client-server-id (lsp--workspace-client ws)) 'mpg-lsp)
                  (eq (lsp--workspace-status ws) 'initialized)))
           (lsp-workspaces)))

(defun mpg-test-diagnostic (code)
  "Wait for an LSP diagnostic with CODE in this buffer's file; return it."
  (let ((file (lsp--fix-path-casing buffer-file-name))
        found)
    (mpg-test-wait
     (lambda ()
       (setq found (cl-find-if (lambda (d) (equal (lsp:diagnostic-code? d) code))
                               (gethash file (lsp-diagnostics t))))))
    found))

(defun mpg-test-runtime-exs ()
  "Diagnostic, hover and quick fix in config/runtime.exs."
  (mpg-test-open "config/runtime.exs")
  (unless (mpg-test-check "lsp-mode starts mpg-lsp in config/runtime.exs"
                          (mpg-test-wait #'mpg-test-started-p 20)
                          (format "workspaces %S" (lsp-workspaces)))
    (error "No server"))
  (let ((d (mpg-test-diagnostic "MPG101")))
    (unless (mpg-test-check "MPG101 published" d "none")
      (error "No diagnostic"))
    (let* ((region (lsp--range-to-region (lsp:diagnostic-range d)))
           (beg (car region))
           (repo-line (mpg-test-line-of "Storefront.Repo,")))
      (mpg-test-check "MPG101 range covers Storefront.Repo"
                      (and (= (line-number-at-pos beg) repo-line)
                           (equal (buffer-substring-no-properties beg (cdr region))
                                  "Storefront.Repo"))
                      (buffer-substring-no-properties beg (cdr region)))
      (mpg-test-check "MPG101 source and message"
                      (and (equal (lsp:diagnostic-source? d) "mpg-lsp")
                           (string-match-p "prepare: :unnamed" (lsp:diagnostic-message d)))
                      (lsp:diagnostic-message d))

      ;; M-x lsp-describe-thing-at-point on the key.
      (mpg-test-line-of "pool_size:")
      (forward-char 2)
      (lsp-describe-thing-at-point)
      (let ((help (and (get-buffer "*lsp-help*")
                       (with-current-buffer "*lsp-help*" (buffer-string)))))
        (mpg-test-check "hover on pool_size:"
                        (and help (string-match-p "pool_size" help)) (format "%S" help)))

      ;; M-x lsp-execute-code-action with point on the warning.
      (goto-char beg)
      (cl-letf (((symbol-function 'completing-read)
                 (mpg-test-pick-action "Add `prepare: :unnamed`")))
        (call-interactively #'lsp-execute-code-action))
      (mpg-test-check "quick fix offered and applied"
                      (progn (goto-char (point-min))
                             (search-forward "prepare: :unnamed" nil t))
                      (format "offered %S" mpg-test-offered))
      (save-buffer)
      (mpg-test-check "MPG101 cleared after the fix"
                      (mpg-test-wait
                       (lambda ()
                         (not (cl-find-if
                               (lambda (x) (equal (lsp:diagnostic-code? x) "MPG101"))
                               (gethash (lsp--fix-path-casing buffer-file-name)
                                        (lsp-diagnostics t))))))
                      "still there"))))

(defun mpg-test-attachment ()
  "Which files mpg-lsp joins as an add-on."
  (dolist (rel '("fly.toml" "fly.staging.toml" "mix.exs" "lib/storefront/repo.ex"))
    (with-current-buffer (mpg-test-open rel)
      (mpg-test-check (format "lsp-mode starts mpg-lsp in %s" rel)
                      (mpg-test-wait #'mpg-test-started-p) "not started")))
  (with-current-buffer (find-buffer-visiting (expand-file-name "fly.toml" mpg-test-project))
    (mpg-test-check "MPG301 on fly.toml" (mpg-test-diagnostic "MPG301") "none"))
  (with-current-buffer (mpg-test-open "Dockerfile")
    (mpg-test-check "lsp-mode starts mpg-lsp in Dockerfile"
                    (mpg-test-wait #'mpg-test-started-p) "not started")
    (mpg-test-check "MPG308 on Dockerfile" (mpg-test-diagnostic "MPG308") "none"))
  (dolist (rel '("other.toml" "deps/ecto/lib/ecto.ex" "deps/ecto/Dockerfile"))
    (with-current-buffer (mpg-test-open rel)
      (mpg-test-pause 0.3)
      (mpg-test-check (format "leaves %s alone" rel) (not (mpg-test-ours-p)) "attached")))
  (mpg-test-check "one server for the whole project"
                  (= 1 (length (lsp--session-workspaces (lsp-session))))
                  (format "%S" (lsp--session-workspaces (lsp-session)))))

;;; Fix all on save, as the README sets it up.

(defun my-mpg-lsp-fix-all ()
  (when (bound-and-true-p lsp-mode)
    (ignore-errors (lsp-execute-code-action-by-kind "source.fixAll"))))

(defun mpg-test-fix-all-on-save ()
  "The README's fix all on save, on config/config.exs: the saved file has the fix."
  (add-hook 'before-save-hook #'my-mpg-lsp-fix-all)
  (with-current-buffer (mpg-test-open "config/config.exs")
    (mpg-test-check "server in config/config.exs" (mpg-test-wait #'mpg-test-started-p) "not started")
    (mpg-test-pause 1)  ; the project's diagnostics
    (goto-char (point-max))
    (insert "\n")  ; a user's edit, then C-x C-s
    (save-buffer)
    (let* ((file buffer-file-name)
           (saved (with-temp-buffer
                    (insert-file-contents file)
                    (buffer-string))))
      (mpg-test-check "fix all on save wrote the notifier to disk"
                      (and (string-match-p "notifier:" saved) (not (buffer-modified-p)))
                      saved)))
  (remove-hook 'before-save-hook #'my-mpg-lsp-fix-all))

(condition-case err
    (progn
      (mpg-test-runtime-exs)
      (mpg-test-fix-all-on-save)
      (when mpg-test-attach
        (mpg-test-managed-paths)
        (mpg-test-attachment)))
  (error (mpg-test-check "no Lisp error" nil (format "%S" err))))

(dolist (ws (lsp--session-workspaces (lsp-session)))
  (lsp-workspace-shutdown ws))
(mpg-test-wait (lambda () (null (lsp--session-workspaces (lsp-session)))) 5)
(mpg-test-finish)

;;; lsp-mode-roundtrip.el ends here
