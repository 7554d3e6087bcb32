package smoke

import (
	"os"
	"path/filepath"
)

// CredentialsHelp is the one line printed when no AWS credentials are
// found.
const CredentialsHelp = "smoke: no AWS credentials found: set AWS_PROFILE (e.g. after aws sso login --profile NAME), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary ones), or write ~/.aws/credentials or a profile in ~/.aws/config, then run it again"

// credentialEnv are the variables that give the SDK credentials, or a
// profile or token source to get them from.
var credentialEnv = []string{
	"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SESSION_TOKEN",
	// CI runners and containers: web identity and the container endpoint.
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
}

// HaveCredentials reports whether the environment names AWS credentials or
// a shared credentials or config file exists (AWS_SHARED_CREDENTIALS_FILE,
// else ~/.aws/credentials; AWS_CONFIG_FILE, else ~/.aws/config, where SSO
// and role profiles live). It is the same quick check as the Makefile's,
// made before anything runs, so a run without credentials says what to set
// instead of failing in its first call; the SDK still decides whether they
// are valid.
func HaveCredentials(getenv func(string) string, exists func(path string) bool) bool {
	for _, k := range credentialEnv {
		if getenv(k) != "" {
			return true
		}
	}
	for _, f := range []struct{ env, name string }{{"AWS_SHARED_CREDENTIALS_FILE", "credentials"}, {"AWS_CONFIG_FILE", "config"}} {
		file := getenv(f.env)
		if file == "" && getenv("HOME") != "" {
			file = filepath.Join(getenv("HOME"), ".aws", f.name)
		}
		if file != "" && exists(file) {
			return true
		}
	}
	return false
}

// FileExists reports whether path names an existing file.
func FileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
