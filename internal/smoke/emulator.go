package smoke

// emulatorGap says why a step cannot run on the local emulator (ministack,
// the LocalStack-compatible server of `make e2e`), if it cannot. Every
// other step runs there for real: Kinesis -> Firehose -> the transform
// Lambda -> Parquet in S3, Athena through DuckDB in the analysts workgroup,
// S3 uploads, CloudWatch alarm actions -> SNS -> SQS, and Step Functions
// with the evaluate Lambda and DynamoDB.
func emulatorGap(s Step, c Config) (string, bool) {
	switch s {
	case StepETL:
		return "the local profile does not create the Glue workflow (emulators reject AWS::Glue::Workflow), and Glue crawlers and jobs never run there; pytest runs the jobs' code", true
	case StepFailure:
		return "EventBridge rules on AWS service events never fire there (no Step Functions events reach the bus); TestRulesMatchTheDocumentedEvents checks each rule's pattern against AWS's sample events", true
	case StepML:
		if c.MlTestCase == "" {
			return "SageMaker and Glue .sync tasks run there only mocked (Step Functions Local mock config, which the end-to-end test pushes with a test case)", true
		}
	}
	return "", false
}
