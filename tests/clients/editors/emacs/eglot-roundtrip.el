;;; eglot-roundtrip.el --- Emacs + Eglot round trip against mpg-lsp -*- lexical-binding: t; -*-

;;; Commentary:

;; Run by run.sh as `emacs -Q --batch -l eglot-roundtrip.el'.
;; Environment:
;;   MPG_CLIENT_DIR  clients/emacs of the repo
;;   MPG_PROJECT     temp copy of examples/storefront
;;   MPG_ATTACH      "1" to also check which files Eglot is started in
;;   MPG_LSP_CMD     optional absolute server path for `mpg-lsp-command'
;; Prints "PASS <check>" / "FAIL <check>: <why>" lines on stdout, exits 0
;; when all passed.

;;; Code:

(load (expand-file-name "harness" (file-name-directory load-file-name)) nil t)

;;; The user's configuration (README, "Emacs with Eglot").

(add-to-list 'load-path (getenv "MPG_CLIENT_DIR"))
(require 'mpg-lsp)
;; Optional: an explicit server command (run.sh sets MPG_LSP_CMD for some
;; runs); otherwise mpg-lsp is found on PATH.
(when (getenv "MPG_LSP_CMD")
  (setq mpg-lsp-command (list (getenv "MPG_LSP_CMD") "--stdio")))
(mpg-lsp-eglot-setup)
(add-hook 'elixir-mode-hook #'mpg-lsp-eglot-ensure)
(add-hook 'conf-toml-mode-hook #'mpg-lsp-eglot-ensure)
(add-hook 'dockerfile-mode-hook #'mpg-lsp-eglot-ensure)

;;; The test.

(require 'eglot)
(require 'flymake)
(setq eglot-connect-timeout 20
      eglot-events-buffer-size 0)

(defun mpg-test-open (rel)
  "Visit REL in the project the way the command loop would.
`eglot-ensure' waits for `post-command-hook', which batch mode
never runs by itself."
  (find-file (expand-file-name rel mpg-test-project))
  (run-hooks 'post-command-hook)
  (current-buffer))

(defun mpg-test-diagnostic (code)
  "Wait for a Flymake diagnostic whose text carries CODE; return it."
  (let (found)
    (mpg-test-wait
     (lambda ()
       (flymake-start)
       (setq found (cl-find-if (lambda (d)
                                 (string-match-p (regexp-quote (format "[%s]" code))
                                                 (flymake-diagnostic-text d)))
                               (flymake-diagnostics)))))
    found))

(defvar mpg-test-server nil)

(defun mpg-test-titles-at (pos)
  "Titles of the code actions Eglot gets with point at POS."
  (save-excursion
    (goto-char pos)
    (mapcar (lambda (action) (plist-get action :title))
            (eglot-code-actions pos pos))))

(defun mpg-test-runtime-exs ()
  "Diagnostic, hover and quick fix in config/runtime.exs."
  (let ((buf (mpg-test-open "config/runtime.exs")))
    (unless (mpg-test-check "Eglot starts in config/runtime.exs"
                            (mpg-test-wait #'eglot-managed-p 20) "not managed")
      (error "No server"))
    (setq mpg-test-server (eglot-current-server))
    (let ((d (mpg-test-diagnostic "MPG101")))
      (unless (mpg-test-check "MPG101 published" d (format "%S" (flymake-diagnostics)))
        (error "No diagnostic"))
      (let ((repo-line (mpg-test-line-of "Storefront.Repo,"))
            (beg (flymake-diagnostic-beg d))
            (end (flymake-diagnostic-end d)))
        (mpg-test-check "MPG101 range covers Storefront.Repo"
                        (and (= (line-number-at-pos beg) repo-line)
                             (equal (buffer-substring-no-properties beg end)
                                    "Storefront.Repo"))
                        (format "line %d: %S" (line-number-at-pos beg)
                                (buffer-substring-no-properties beg end)))
        (mpg-test-check "MPG101 source and message"
                        (string-match-p "\\`mpg-lsp \\[MPG101\\]: .*prepare: :unnamed"
                                        (flymake-diagnostic-text d))
                        (flymake-diagnostic-text d))

        ;; Hover, through the function Eldoc calls.
        (mpg-test-line-of "pool_size:")
        (forward-char 2)
        (let (info)
          (eglot-hover-eldoc-function (lambda (doc &rest _) (setq info (or doc ""))))
          (mpg-test-wait (lambda () info))
          (mpg-test-check "hover on pool_size:"
                          (and (stringp info) (string-match-p "pool_size" info))
                          (format "%S" info)))

        ;; The quick fix is offered with point at the start of the line, on the
        ;; warning and at the end of the line (Eglot sends point as an empty
        ;; range, with the Flymake diagnostics under it), and nowhere else.
        (dolist (place `(("the start of the line" . ,(save-excursion (goto-char beg)
                                                                      (line-beginning-position)))
                         ("the diagnostic" . ,beg)
                         ("the end of the line" . ,(save-excursion (goto-char beg)
                                                                    (line-end-position)))))
          (let ((titles (mpg-test-titles-at (cdr place))))
            (mpg-test-check (format "quick fix offered from %s" (car place))
                            (and titles (string-prefix-p "Add `prepare: :unnamed`" (car titles)))
                            (format "%S" titles))))
        (mpg-test-check "nothing offered on a line without diagnostics"
                        (null (mpg-test-titles-at (point-min)))
                        (format "%S" (mpg-test-titles-at (point-min))))

        ;; M-x eglot-code-actions with point at the start of the warning's
        ;; line (the end of it on the sample with emoji and CJK text); the
        ;; minibuffer answer is the "Add `prepare: :unnamed`" entry.
        (goto-char beg)
        (if (string-match-p "unicode" mpg-test-project)
            (end-of-line)
          (beginning-of-line))
        (cl-letf (((symbol-function 'completing-read)
                   (mpg-test-pick-action "Add `prepare: :unnamed`")))
          ;; A keyboard event, so Eglot asks in the minibuffer, not a menu.
          (let ((last-nonmenu-event ?\r))
            (call-interactively #'eglot-code-actions)))
        (mpg-test-check "quick fix offered and applied"
                        (progn (goto-char (point-min))
                               (search-forward "prepare: :unnamed" nil t))
                        (format "offered %S" mpg-test-offered))
        (save-buffer)
        (mpg-test-check "MPG101 cleared after the fix"
                        (mpg-test-wait
                         (lambda ()
                           (flymake-start)
                           (not (cl-find-if
                                 (lambda (x) (string-match-p "\\[MPG101\\]"
                                                             (flymake-diagnostic-text x)))
                                 (flymake-diagnostics)))))
                        (format "%S" (flymake-diagnostics)))
        buf))))

(defun mpg-test-no-start ()
  "Files that must not start a server: other TOML files, a dependency's files."
  (dolist (rel '("other.toml" "deps/ecto/lib/ecto.ex" "deps/ecto/Dockerfile"))
    (let ((buf (mpg-test-open rel)))
      (mpg-test-pause 0.3)
      (mpg-test-check (format "%s starts no server" rel)
                      (not (eglot-managed-p)) "managed")
      (kill-buffer buf))))

(defun mpg-test-attachment ()
  "Which files Eglot starts mpg-lsp in, and that they share one server."
  (with-current-buffer (mpg-test-open "fly.toml")
    (mpg-test-check "Eglot starts in fly.toml" (mpg-test-wait #'eglot-managed-p) "not managed")
    (mpg-test-check "MPG301 on fly.toml" (mpg-test-diagnostic "MPG301")
                    (format "%S" (flymake-diagnostics)))
    (mpg-test-check "one server for the whole project"
                    (eq (eglot-current-server) mpg-test-server) "a second server"))
  (dolist (rel '("fly.staging.toml" "mix.exs" "lib/storefront/repo.ex"))
    (with-current-buffer (mpg-test-open rel)
      (mpg-test-check (format "Eglot starts in %s" rel)
                      (mpg-test-wait #'eglot-managed-p) "not managed")))
  ;; A deploy file in its own major mode: the server's Dockerfile check shows.
  (with-current-buffer (mpg-test-open "Dockerfile")
    (mpg-test-check "Dockerfile opens in dockerfile-mode" (eq major-mode 'dockerfile-mode)
                    (format "%S" major-mode))
    (mpg-test-check "Eglot starts in Dockerfile" (mpg-test-wait #'eglot-managed-p) "not managed")
    (mpg-test-check "MPG308 on Dockerfile" (mpg-test-diagnostic "MPG308")
                    (format "%S" (flymake-diagnostics)))
    (mpg-test-check "the Dockerfile shares the project's server"
                    (eq (eglot-current-server) mpg-test-server) "a second server"))
  ;; Once a server runs, Eglot hands it every buffer of its modes in the
  ;; project; mpg-lsp must stay quiet about files that are not its own.
  (with-current-buffer (mpg-test-open "other.toml")
    (mpg-test-pause 0.5)
    (flymake-start)
    (mpg-test-pause 0.2)
    (mpg-test-check "no diagnostics in other.toml" (null (flymake-diagnostics))
                    (format "%S" (flymake-diagnostics)))))

;;; Fix all on save, as the README sets it up.

(defun my-mpg-lsp-fix-all ()
  (when (and (eglot-managed-p) (mpg-lsp-managed-file-p))
    (ignore-errors
      (eglot-code-actions (point-min) (point-max) "source.fixAll.mpg-lsp" t))))

(defun mpg-test-fix-all-on-save ()
  "The README's fix all on save, on config/config.exs: the saved file has the fix."
  (add-hook 'before-save-hook #'my-mpg-lsp-fix-all)
  (with-current-buffer (mpg-test-open "config/config.exs")
    (mpg-test-check "server in config/config.exs" (mpg-test-wait #'eglot-managed-p) "not started")
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
      (when mpg-test-attach
        (mpg-test-managed-paths)
        (mpg-test-no-start))
      (mpg-test-runtime-exs)
      (mpg-test-fix-all-on-save)
      (when mpg-test-attach
        (mpg-test-attachment)))
  (error (mpg-test-check "no Lisp error" nil (format "%S" err))))

(when (and mpg-test-server (jsonrpc-running-p mpg-test-server))
  (eglot-shutdown mpg-test-server))
(mpg-test-finish)

;;; eglot-roundtrip.el ends here
