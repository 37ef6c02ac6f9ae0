;;; eglot-toml-only.el --- Eglot with mpg-lsp for fly.toml only -*- lexical-binding: t; -*-

;;; Commentary:

;; The set-up the Emacs README suggests when another Eglot server owns the
;; Elixir buffers: mpg-lsp gets the TOML modes only.  Checks that fly.toml
;; is served and other TOML files start nothing.  Environment as for
;; eglot-roundtrip.el.

;;; Code:

(load (expand-file-name "harness" (file-name-directory load-file-name)) nil t)

;;; The user's configuration (README, "Which client to use").

(add-to-list 'load-path (getenv "MPG_CLIENT_DIR"))
(require 'mpg-lsp)
(setq mpg-lsp-eglot-modes '((conf-toml-mode :language-id "toml")
                            (toml-ts-mode :language-id "toml")))
(mpg-lsp-eglot-setup)
(add-hook 'conf-toml-mode-hook #'mpg-lsp-eglot-ensure)

;;; The test.

(require 'eglot)
(require 'flymake)
(setq eglot-connect-timeout 20
      eglot-events-buffer-size 0)

(defun mpg-test-open (rel)
  "Visit REL and run `post-command-hook', as the command loop would."
  (find-file (expand-file-name rel mpg-test-project))
  (run-hooks 'post-command-hook)
  (current-buffer))

(condition-case err
    (progn
      (with-current-buffer (mpg-test-open "other.toml")
        (mpg-test-pause 0.3)
        (mpg-test-check "other.toml starts no server" (not (eglot-managed-p)) "managed"))
      (with-current-buffer (mpg-test-open "fly.toml")
        (mpg-test-check "Eglot starts in fly.toml" (mpg-test-wait #'eglot-managed-p 20)
                        "not managed")
        (mpg-test-check "MPG301 on fly.toml"
                        (mpg-test-wait
                         (lambda ()
                           (flymake-start)
                           (cl-find-if (lambda (d) (string-match-p "\\[MPG301\\]"
                                                                   (flymake-diagnostic-text d)))
                                       (flymake-diagnostics))))
                        (format "%S" (flymake-diagnostics)))
        (eglot-shutdown (eglot-current-server))))
  (error (mpg-test-check "no Lisp error" nil (format "%S" err))))

(mpg-test-finish)

;;; eglot-toml-only.el ends here
