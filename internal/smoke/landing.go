package smoke

import (
	"context"
	"fmt"

	"github.com/refdatalake/datalake/internal/landing"
)

// uploadLanding is the landing step: upload the sample landing files as
// scripts/landing does, SSE-KMS with the lake key, which the raw bucket's
// policy demands of every PutObject.
func (r *runner) uploadLanding(ctx context.Context) (string, error) {
	bucket, err := r.stacks.Output(stackStorage, "RawBucketName")
	if err != nil {
		return "", err
	}
	key, err := r.stacks.Output(stackStorage, "LakeKeyArn")
	if err != nil {
		return "", err
	}
	files, err := landing.ListFiles(r.cfg.LandingDir)
	if err != nil {
		return "", fmt.Errorf("the sample landing files: %w (run from the repository root)", err)
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no files under %s", r.cfg.LandingDir)
	}
	var bytes int64
	for _, f := range files {
		o := landing.ObjectFor(f, bucket, landing.Prefix, key)
		if err := landing.Put(ctx, r.cfg.Clients.S3, o); err != nil {
			return "", fmt.Errorf("upload %s -> %s: %w", f.Path, o.URL(), err)
		}
		bytes += f.Size
	}
	return fmt.Sprintf("%d sample files (%d bytes) uploaded to s3://%s/%s with SSE-KMS under the lake key", len(files), bytes, bucket, landing.Prefix), nil
}

func (r *runner) landingHint() string {
	return "the raw bucket's policy (PutObject must name SSE-KMS and the lake key) and your kms:GenerateDataKey permission on the lake key"
}
