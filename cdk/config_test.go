package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

func lookupFrom(m map[string]any) func(string) any {
	return func(k string) any { return m[k] }
}

func TestProfileDefaults(t *testing.T) {
	cases := []struct {
		profile               string
		destroy               bool
		ia, glacier, flowLogs int
		arch                  string
	}{
		{ProfileSandbox, false, 60, 180, 30, "arm64"},
		{ProfileProd, false, 60, 180, 365, "arm64"},
		{ProfileLocal, true, 60, 180, 1, runtime.GOARCH},
	}
	for _, c := range cases {
		t.Run(c.profile, func(t *testing.T) {
			cfg, err := LoadConfig(lookupFrom(map[string]any{"profile": c.profile}))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AllowDestroy != c.destroy || cfg.RawInfrequentAccessDays != c.ia || cfg.RawGlacierDays != c.glacier ||
				cfg.FlowLogRetentionDays != c.flowLogs || cfg.LambdaArch != c.arch {
				t.Errorf("got destroy=%v ia=%d glacier=%d flowLogs=%d arch=%s", cfg.AllowDestroy, cfg.RawInfrequentAccessDays,
					cfg.RawGlacierDays, cfg.FlowLogRetentionDays, cfg.LambdaArch)
			}
		})
	}
}

func TestDefaultProfileIsSandbox(t *testing.T) {
	cfg, err := LoadConfig(lookupFrom(nil))
	if err != nil || cfg.Profile != ProfileSandbox {
		t.Fatalf("got %q, %v", cfg.Profile, err)
	}
}

// Overrides arrive as strings from `-c key=value` and as JSON values from cdk.json.
func TestOverrides(t *testing.T) {
	cfg, err := LoadConfig(lookupFrom(map[string]any{
		"profile":                 "sandbox",
		"rawIaDays":               "45",
		"rawGlacierDays":          float64(400),
		"allowDestroy":            "true",
		"versioning":              true,
		"flowLogRetentionDays":    "90",
		"transitionMinObjectSize": "VARIES_BY_STORAGE_CLASS",
		"lambdaArch":              "amd64",
		"owner":                   "ml-team",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RawInfrequentAccessDays != 45 || cfg.RawGlacierDays != 400 || !cfg.AllowDestroy || cfg.FlowLogRetentionDays != 90 ||
		cfg.TransitionMinimumObjectSize != "varies_by_storage_class" || cfg.LambdaArch != "amd64" || cfg.Owner != "ml-team" {
		t.Errorf("overrides not applied: %+v", cfg)
	}
	// An explicit false must turn a true default off (no truthiness shortcuts).
	cfg, err = LoadConfig(lookupFrom(map[string]any{"profile": "local", "allowDestroy": "false"}))
	if err != nil || cfg.AllowDestroy {
		t.Errorf("allowDestroy=false on local: got %v, %v", cfg.AllowDestroy, err)
	}
}

func TestBadInputFailsWithOneClearLine(t *testing.T) {
	cases := []struct {
		name string
		ctx  map[string]any
		want []string // substrings the message must contain
	}{
		{"unknown profile", map[string]any{"profile": "staging"}, []string{`unknown profile "staging"`, "sandbox, prod, local"}},
		{"negative days", map[string]any{"rawIaDays": "-5"}, []string{`"rawIaDays"`, "-5 is out of range", "from 30"}},
		{"not a number", map[string]any{"abortMultipartDays": "seven"}, []string{`"abortMultipartDays"`, "not a whole number"}},
		{"fractional days", map[string]any{"accessLogExpiryDays": 1.5}, []string{`"accessLogExpiryDays"`, "not a whole number"}},
		{"IA after Glacier", map[string]any{"rawIaDays": "200", "rawGlacierDays": "180"}, []string{"rawGlacierDays (180)", "rawIaDays (200) + 30"}},
		{"Glacier too soon after IA", map[string]any{"rawIaDays": "60", "rawGlacierDays": "80"}, []string{"at least rawIaDays (60) + 30"}},
		{"retention not allowed", map[string]any{"flowLogRetentionDays": "45"}, []string{"flowLogRetentionDays (45)", "one of 1, 3, 5"}},
		{"retention out of range", map[string]any{"flowLogRetentionDays": "5000"}, []string{`"flowLogRetentionDays"`, "out of range"}},
		{"object lock without versioning", map[string]any{"profile": "prod", "rawObjectLockDays": "365", "versioning": "false"}, []string{"rawObjectLockDays (365) needs versioning", "-c versioning=true"}},
		{"object lock with destroy", map[string]any{"rawObjectLockDays": "30", "allowDestroy": "true"}, []string{"allowDestroy=false"}},
		{"destroy in prod", map[string]any{"profile": "prod", "allowDestroy": "true"}, []string{"refused for profile prod"}},
		{"not a boolean", map[string]any{"versioning": "yes please"}, []string{`"versioning"`, "true or false"}},
		{"unknown arch", map[string]any{"lambdaArch": "riscv64"}, []string{`"lambdaArch"`, "arm64, amd64"}},
		{"account without region", map[string]any{"account": "123456789012"}, []string{"account and region go together"}},
		{"bad cidr", map[string]any{"vpcCidr": "10.40.0.0/8"}, []string{`vpcCidr "10.40.0.0/8"`}},
		{"prod provisioned without shards", map[string]any{"profile": "prod", "streamMode": "provisioned"}, []string{"-c streamShards=N", "at most by half"}},
		{"features job longer than the workflow", map[string]any{"glueTimeoutMinutes": "2880"}, []string{"glueTimeoutMinutes is too long", "lower -c glueTimeoutMinutes to at most"}},
		{"budget with cents of cents", map[string]any{"monthlyBudgetUsd": "12.345"}, []string{"monthlyBudgetUsd=12.345", "at most 2 decimals"}},
		{"budget below a dollar", map[string]any{"monthlyBudgetUsd": "0.5"}, []string{"monthlyBudgetUsd=0.5", "from 1 to 1000000"}},
		{"budget negative", map[string]any{"monthlyBudgetUsd": "-10"}, []string{"monthlyBudgetUsd=-10", "from 1 to 1000000"}},
		{"budget not a number", map[string]any{"monthlyBudgetUsd": "fifty"}, []string{`"monthlyBudgetUsd"`}},
		{"budget on the emulator", map[string]any{"profile": "local", "monthlyBudgetUsd": "20"}, []string{"monthlyBudgetUsd and auditTrail need AWS", "-c monthlyBudgetUsd=0"}},
		{"trail on the emulator", map[string]any{"profile": "local", "auditTrail": "true"}, []string{"-c auditTrail=false"}},
		{"e-mail without a domain", map[string]any{"alarmEmail": "ops@localhost"}, []string{`alarmEmail "ops@localhost"`, "no domain like example.com"}},
		{"e-mail with a display name", map[string]any{"alarmEmail": "Ops <ops@example.com>"}, []string{"not one plain e-mail address", "-c alarmEmail=you@example.com"}},
		{"two e-mails", map[string]any{"alarmEmail": "a@example.com,b@example.com"}, []string{"not one plain e-mail address"}},
		{"e-mail with spaces", map[string]any{"alarmEmail": "ops @example.com"}, []string{"not one plain e-mail address"}},
		{"XGBoost not in the pinned region", map[string]any{"account": "123456789012", "region": "mx-central-1"}, []string{"mx-central-1", "XGBoost"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(lookupFrom(c.ctx))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("message spans lines: %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

// Settings AWS accepts pass: a plain address with a tag, a budget in cents,
// no budget at all, a trail in sandbox.
func TestOperationsSettingsAccepted(t *testing.T) {
	cfg, err := LoadConfig(lookupFrom(map[string]any{"alarmEmail": "ops+lake@example.co.uk", "monthlyBudgetUsd": "49.99", "auditTrail": "true"}))
	if err != nil || cfg.AlarmEmail != "ops+lake@example.co.uk" || cfg.MonthlyBudgetUsd != 49.99 || !cfg.AuditTrail {
		t.Fatalf("%+v, %v", cfg, err)
	}
	if cfg, err := LoadConfig(lookupFrom(map[string]any{"monthlyBudgetUsd": "0"})); err != nil || cfg.MonthlyBudgetUsd != 0 {
		t.Fatalf("no budget: %v", err)
	}
}

// A context key the app does not read fails synth in one line that names
// the nearest setting; the CDK's own keys pass.
func TestUnknownContextKeysFailWithTheNearestKey(t *testing.T) {
	for _, c := range []struct{ key, want string }{
		{"alarmEmial", `did you mean "alarmEmail"?`},
		{"rawIADays", `did you mean "rawIaDays"?`},
		{"streamshards", `did you mean "streamShards"?`},
		{"monthlyBudget", `did you mean "monthlyBudgetUsd"?`},
		{"profil", `did you mean "profile"?`},
		{"colour", "see docs/settings.md"},
	} {
		err := checkContextKeys([]string{"profile", "alarmEmail", c.key, "@aws-cdk/core:checkSecretUsage"})
		if err == nil {
			t.Errorf("%s accepted", c.key)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, `"`+c.key+`"`) || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: %q, want one line naming it and %q", c.key, msg, c.want)
		}
	}
	cdkKeys := []string{"@aws-cdk/aws-s3:createDefaultLoggingPolicy", "@aws-cdk-containers/ecs-service-extensions:enableDefaultLogDriver",
		"aws:cdk:enable-path-metadata", "aws:cdk:bundling-stacks", "availability-zones:account=111122223333:region=eu-west-1",
		"acknowledged-issue-numbers"}
	for _, s := range settings {
		cdkKeys = append(cdkKeys, s.key)
	}
	if err := checkContextKeys(cdkKeys); err != nil {
		t.Errorf("known keys refused: %v", err)
	}
	if err := checkContextKeys([]string{"b-typo", "a-typo"}); err == nil || !strings.Contains(err.Error(), `"a-typo"`) || !strings.Contains(err.Error(), "also unknown: b-typo") {
		t.Errorf("two unknown keys: %v", err)
	}
}

// The app itself refuses the key before it builds anything: with the real
// context of cdk.json plus a typo.
func TestBuildRefusesAMisspelledSetting(t *testing.T) {
	ctx := cdkContext(t)
	ctx["alarmEmial"] = "ops@example.com"
	err := build(awscdk.NewApp(&awscdk.AppProps{Context: &ctx}))
	if err == nil || !strings.Contains(err.Error(), `did you mean "alarmEmail"?`) {
		t.Fatalf("build: %v", err)
	}
}
