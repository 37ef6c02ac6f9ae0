;;; harness.el --- Shared helpers for the Emacs client tests -*- lexical-binding: t; -*-

;;; Commentary:

;; Loaded first by eglot-roundtrip.el and lsp-mode-roundtrip.el, which run
;; under `emacs -Q --batch'.  Checks print "PASS <check>" or
;; "FAIL <check>: <why>" on stdout; run.sh counts them.

;;; Code:

(require 'cl-lib)

;; `emacs -Q' skips Debian's site-start.d, which is what puts the elpa-*
;; packages on `load-path' and loads their autoloads for a user.
(dolist (dir (file-expand-wildcards "/usr/share/emacs/site-lisp/elpa/*" t))
  (push dir load-path)
  (dolist (autoloads (file-expand-wildcards (expand-file-name "*-autoloads.el" dir)))
    (load autoloads nil t)))

;; Stock Emacs 28 has no Elixir mode; this stands in for elixir-mode from
;; MELPA, which is what a user would have.
(define-derived-mode elixir-mode prog-mode "Elixir")
(add-to-list 'auto-mode-alist '("\\.exs?\\'" . elixir-mode))
(add-to-list 'auto-mode-alist '("/mix\\.lock\\'" . elixir-mode))

;; Nor a Dockerfile mode: this stands in for dockerfile-mode from MELPA
;; (Emacs 29's dockerfile-ts-mode needs a grammar Debian 12 lacks).
(unless (fboundp 'dockerfile-mode)
  (define-derived-mode dockerfile-mode prog-mode "Dockerfile")
  (add-to-list 'auto-mode-alist '("/Dockerfile\\'" . dockerfile-mode)))

(defvar mpg-test-failures 0)
(defvar mpg-test-project (file-name-as-directory (getenv "MPG_PROJECT")))
(defvar mpg-test-attach (equal (getenv "MPG_ATTACH") "1"))

(defun mpg-test-say (fmt &rest args)
  "Print FMT with ARGS and a newline on stdout."
  (princ (concat (apply #'format fmt args) "\n")))

(defun mpg-test-check (name ok &optional why)
  "Report check NAME as passed when OK, else failed because of WHY."
  (if ok
      (mpg-test-say "PASS %s" name)
    (cl-incf mpg-test-failures)
    (mpg-test-say "FAIL %s: %s" name why))
  ok)

(defun mpg-test-wait (pred &optional secs)
  "Let Emacs process events until PRED is non-nil or SECS (10) pass."
  (let ((deadline (+ (float-time) (or secs 10))))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (funcall pred)))

(defun mpg-test-pause (secs)
  "Process events for SECS seconds."
  (mpg-test-wait #'ignore secs))

(defun mpg-test-line-of (needle)
  "Move point to the first NEEDLE in the buffer; return its 1-based line."
  (goto-char (point-min))
  (when (search-forward needle nil t)
    (goto-char (match-beginning 0))
    (line-number-at-pos)))

(defun mpg-test-pick-action (wanted)
  "Return a `completing-read' stand-in that answers the title WANTED.
The titles offered are kept in `mpg-test-offered'."
  (lambda (_prompt collection &rest _)
    (setq mpg-test-offered (mapcar (lambda (c) (if (consp c) (car c) c)) collection))
    (or (cl-find-if (lambda (title) (string-prefix-p wanted title)) mpg-test-offered)
        (error "No action %S among %S" wanted mpg-test-offered))))

(defvar mpg-test-offered nil)

(defun mpg-test-managed-paths ()
  "`mpg-lsp-managed-file-p' on the files the server reads, and on others.
Paths are in the test project, which has a deps/ecto with its own mix.exs."
  (dolist (rel '("Dockerfile" "Dockerfile.prod" "deploy.dockerfile" "Makefile"
                 "GNUmakefile" "justfile" "Justfile" "lib/storefront/repo.ex"
                 "priv/repo/migrations/20240101000000_create_orders.exs"
                 "rel/env.sh.eex" "rel/overlays/bin/server" "rel/overlays/bin/migrate"
                 "bin/deploy" "scripts/release.sh" ".github/workflows/ci.yml"
                 ".github/workflows/fly.yaml" "deploy/prod/fly.toml" "fly.io/app.toml"
                 ".mpg-lsp.toml" "config/runtime.exs" "mix.exs" "mix.lock" "fly.toml"
                 "fly.staging.toml"))
    (mpg-test-check (format "managed: %s" rel)
                    (mpg-lsp-managed-file-p (expand-file-name rel mpg-test-project))
                    "not managed"))
  (dolist (rel '("deps/ecto/lib/ecto.ex" "deps/ecto/Dockerfile" "deps/ecto/mix.exs"
                 "deps/ecto/config/config.exs" "deps/ecto/fly.toml"
                 "_build/prod/lib/storefront/Makefile"
                 "assets/node_modules/phoenix/mix.exs" "assets/node_modules/x/bin/cli"
                 "other.toml" "lib/storefront/seeds.exs" "priv/repo/seeds.exs"
                 "rel/vm.args.eex" "bin/.env" "README.md" "dockerfile.txt"
                 ".github/ci.yml"))
    (mpg-test-check (format "not managed: %s" rel)
                    (not (mpg-lsp-managed-file-p (expand-file-name rel mpg-test-project)))
                    "managed")))

(defun mpg-test-finish ()
  "Exit Emacs with status 0 when every check passed."
  (kill-emacs (if (zerop mpg-test-failures) 0 1)))

(provide 'harness)
;;; harness.el ends here
