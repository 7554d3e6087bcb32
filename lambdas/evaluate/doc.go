// Command evaluate is the evaluation Lambda of the training workflow.
//
// The workflow trains an XGBoost binary classifier (label: the device fails
// within 24 hours), runs a SageMaker batch transform over the validation
// split and then invokes this function, which pairs every validation row
// with its prediction, computes the metrics, writes them to S3 and returns
// them for the workflow's quality gate. Any error fails the invocation, and
// so the workflow's task; no metrics are written then.
//
// # Input
//
//	{
//	  "predictionsUri": "s3://bucket/batch-transform/<job>/",       required
//	  "labelsUri": "s3://bucket/training/telemetry/validation/",     required
//	  "problemType": "binary" | "regression",                         default "binary"
//	  "threshold": 0.5,                                               binary only, in [0, 1], default 0.5
//	  "metricsUri": "s3://bucket/batch-transform/<job>/metrics.json"  default predictionsUri + "metrics.json"
//	}
//
// Members other than these fail, so a misspelt optional member cannot fall
// back to its default unnoticed; so do a threshold outside [0, 1] or given
// for regression, an unknown problemType, and a URI that is not
// s3://bucket/key with a valid bucket name. URIs are taken as written (no
// percent-decoding). predictionsUri and labelsUri are prefixes: a "/" is
// appended when missing, so s3://b/data does not also match s3://b/data2/.
// labelsUri may not lie under predictionsUri.
//
// # Pairing
//
// Every object under labelsUri is listed (all pages). Not label objects,
// and ignored: keys ending in "/", any key with a path segment starting
// with "." or "_" (so _SUCCESS, .crc sidecars written as hidden files,
// _temporary/...), names ending in ".crc", manifest.json, keys under
// predictionsUri (when it lies under labelsUri) and the metrics object.
//
// For a label object whose key below labelsUri is R, the predictions are
// predictionsUri + R + ".out", the name SageMaker batch transform gives its
// output. A label object without that object is skipped if it has no data
// rows (the transform writes nothing for an empty input) and is an error
// naming both keys otherwise. Pairs are read in key order. A ".out" object
// that no label object claims is logged as a warning.
//
// # Reading
//
// The transform's input is headerless CSV with the label first; its output
// (InputFilter "$[1:]" dropped the label) has one prediction per line in
// the same order. Both objects are streamed side by side, line by line;
// only the first comma-separated field of a line is read. Blank lines
// (spaces, tabs and "\r" only) are skipped in both and do not count as
// rows; a UTF-8 byte order mark at the start of an object, a trailing "\r"
// and blanks around the field are tolerated. The first field must fit in
// 64 KiB; the rest of a line may be of any length and is skipped unread.
//
// A value is a plain decimal number ("1", "0.25", "-3e-2"): NaN, Inf, hex
// floats, digit separators and numbers beyond float64 ("1e309") fail, so
// every value is finite. For binary problems a label must be 0 or 1 and a
// prediction a probability in [0, 1] (what binary:logistic outputs).
// Errors give the object and the physical line:
//
//	labels s3://b/validation/part-0.csv line 17: "abc" is not a number
//	predictions s3://b/out/part-0.csv.out has 99 rows but labels s3://b/validation/part-0.csv has 100
//
// # Output
//
// The result is written as indented JSON to metricsUri with
// ServerSideEncryption aws:kms (the lake's buckets refuse uploads without
// it) and, when the environment sets LAKE_KEY_ARN, SSEKMSKeyId naming that
// key; it should be set, since without a key id S3 encrypts with the
// account's aws/s3 key rather than the bucket's default key. The same
// object is returned to Step Functions:
//
//	problemType, predictionsUri, labelsUri, metricsUri,
//	evaluatedAt (RFC 3339, UTC), files (pairs read), rows,
//	binary:     positives, negatives, threshold,
//	            confusionMatrix {tp, fp, tn, fn}, accuracy, precision,
//	            recall, f1, specificity, auc, aucDefined, logLoss
//	regression: rmse, mae, r2, meanLabel, meanPrediction
//	note        why a metric is null, when one is
//
// Numbers are full float64, never rounded; JSON cannot hold NaN or
// infinities and none is ever written.
//
// # Conventions
//
// A row is predicted positive when its score is >= threshold. A ratio
// whose denominator is zero is 0: precision when tp+fp = 0, recall when
// tp+fn = 0, specificity when tn+fp = 0, and f1 (2·tp/(2·tp+fp+fn), the
// harmonic mean of precision and recall) when precision+recall = 0.
//
// auc is the area under the ROC curve computed as the Mann-Whitney U
// statistic: the share of (positive, negative) pairs whose positive scores
// higher, a tie counting one half, which equals the rank-sum form with
// tied scores given their average rank. With no positive or no negative
// row it is undefined: auc is null, aucDefined false and note says why.
// That is not an error, as a validation split can lack positives; the
// workflow's gate fails the check instead. 0.5 is never a stand-in.
//
// logLoss is the mean binary cross-entropy with scores clipped to
// [1e-15, 1-1e-15], so a confidently wrong 0 or 1 costs about 34.5, not
// infinity.
//
// r2 is 1 - SSE/SST and null when every label is equal (SST = 0). Sums are
// compensated (Neumaier), the label variance uses Welford's method.
// Regression values near the float64 limit, whose squares overflow, fail
// the evaluation rather than produce infinities.
//
// Zero data rows in total is an error, as are no label objects at all.
//
// # Memory and speed
//
// No line is kept. Each object being read holds one 64 KiB buffer. Binary
// evaluation keeps one float64 score per row (8 bytes), in two slices by
// label, which the AUC sorts in place: 10 million rows take 80 MB, and up
// to about 2.25 times that for a moment while a slice grows. Regression
// keeps running sums only: constant memory. BenchmarkEvaluate measures
// 2 to 4 million rows/s (70 to 150 MB/s of labels and predictions) for
// binary and 4 to 6.5 million rows/s for regression, S3 transfer aside.
//
// # Environment
//
// The S3 client comes from the default AWS configuration. When
// AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3 is set (a local S3 emulator),
// requests use path-style addressing. The role needs s3:ListBucket on both
// prefixes, s3:GetObject under both, s3:PutObject on metricsUri, and
// kms:Decrypt and kms:GenerateDataKey on the lake key.
//
// Logs are JSON (log/slog) on stderr: the start, each pair read with its
// row count, ignored and skipped objects, unclaimed predictions, the
// headline metrics, and the error of a failed evaluation.
package main
