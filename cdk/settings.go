package main

import (
	"fmt"
	"sort"
	"strings"
)

// cdkOwnKey reports whether a context key belongs to the CDK rather than to
// this app: feature flags (`@aws-cdk/...`, `@aws-cdk-containers/...`), the
// CLI's own switches (`aws:cdk:...`, `aws-cdk:...`, `cdk-...`), and the
// cached answers of context lookups, which cdk.context.json keeps under keys
// such as `availability-zones:account=111122223333:region=eu-west-1`.
// https://docs.aws.amazon.com/cdk/v2/guide/context.html
func cdkOwnKey(key string) bool {
	for _, prefix := range []string{"@aws-cdk", "aws:", "aws-cdk:", "cdk-", "cdk:"} {
		if strings.HasPrefix(key, prefix) {
			return true
		}
	}
	switch key {
	case "acknowledged-issue-numbers":
		return true
	}
	return strings.Contains(key, ":account=")
}

// checkContextKeys refuses a context key that is neither one of the app's
// settings nor the CDK's own, so a misspelled setting fails synth instead
// of deploying with the default. The error is one line naming the nearest
// known key.
func checkContextKeys(keys []string) error {
	known := knownKeys()
	var unknown []string
	for _, k := range keys {
		if _, ok := known[k]; ok || cdkOwnKey(k) {
			continue
		}
		unknown = append(unknown, k)
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	k := unknown[0]
	msg := fmt.Sprintf("context key %q is not a setting of this app", k)
	if near := nearestKey(k, known); near != "" {
		msg += fmt.Sprintf(": did you mean %q?", near)
	} else {
		msg += ": see docs/settings.md for the settings"
	}
	if len(unknown) > 1 {
		msg += fmt.Sprintf(" (also unknown: %s)", strings.Join(unknown[1:], ", "))
	}
	return fmt.Errorf("%s", msg)
}

// knownKeys is every context key the app reads.
func knownKeys() map[string]bool {
	known := map[string]bool{"profile": true}
	for _, s := range settings {
		known[s.key] = true
	}
	return known
}

// nearestKey is the known key closest to k by edit distance, ignoring case,
// when it is close enough to be a typo (at most a third of its length, and
// at least 1 edit for short keys); "" otherwise.
func nearestKey(k string, known map[string]bool) string {
	best, bestDist := "", -1
	names := make([]string, 0, len(known))
	for name := range known {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d := editDistance(strings.ToLower(k), strings.ToLower(name))
		if bestDist < 0 || d < bestDist {
			best, bestDist = name, d
		}
	}
	limit := len(best) / 3
	if limit < 2 {
		limit = 2
	}
	if bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (optimal string
// alignment): insertions, deletions, substitutions and swaps of two
// neighbours each cost 1, so "alarmEmial" is 1 from "alarmEmail".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
