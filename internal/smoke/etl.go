package smoke

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gtypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
)

// etl is the etl step: start the workflow (crawler -> curate -> features)
// and wait until its run completes with every action succeeded. A
// COMPLETED run alone is not enough: Glue completes a run whose job failed,
// and then the triggers after it never fire.
func (r *runner) etl(ctx context.Context) (string, error) {
	name, err := r.stacks.Output(stackCatalog, "EtlWorkflowName")
	if err != nil {
		return "", err
	}
	start, err := r.cfg.Clients.Glue.StartWorkflowRun(ctx, &glue.StartWorkflowRunInput{Name: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("start workflow %s: %w", name, err)
	}
	id := aws.ToString(start.RunId)
	r.logf("etl: workflow %s run %s started", name, id)
	finished := false
	r.defer_("stop workflow run "+id, func(ctx context.Context) error {
		if finished {
			return errNothingToDo
		}
		_, err := r.cfg.Clients.Glue.StopWorkflowRun(ctx, &glue.StopWorkflowRunInput{Name: aws.String(name), RunId: aws.String(id)})
		return err
	})
	var run *gtypes.WorkflowRun
	err = r.poll(ctx, r.every(20*time.Second), func() (bool, string, error) {
		out, err := r.cfg.Clients.Glue.GetWorkflowRun(ctx, &glue.GetWorkflowRunInput{Name: aws.String(name), RunId: aws.String(id), IncludeGraph: aws.Bool(true)})
		if err != nil {
			return false, "", fmt.Errorf("workflow %s run %s: %w", name, id, err)
		}
		run = out.Run
		switch run.Status {
		case gtypes.WorkflowRunStatusCompleted, gtypes.WorkflowRunStatusStopped, gtypes.WorkflowRunStatusError:
			return true, "", nil
		}
		return false, fmt.Sprintf("%s (workflow %s run %s, %s)", run.Status, name, id, actionCounts(run.Statistics)), nil
	})
	if err != nil {
		return "", err
	}
	finished = true
	st := run.Statistics
	if st == nil {
		st = &gtypes.WorkflowRunStatistics{}
	}
	bad := st.FailedActions + st.StoppedActions + st.TimeoutActions + st.ErroredActions
	if run.Status != gtypes.WorkflowRunStatusCompleted || bad > 0 || st.SucceededActions == 0 || st.SucceededActions != st.TotalActions {
		msg := fmt.Sprintf("workflow %s run %s ended %s (%s)", name, id, run.Status, actionCounts(st))
		if m := aws.ToString(run.ErrorMessage); m != "" {
			msg += ": " + m
		}
		if f := failedNodes(run.Graph); f != "" {
			msg += "; " + f
		}
		return "", fmt.Errorf("%s", msg)
	}
	return fmt.Sprintf("workflow %s run %s COMPLETED: %s", name, id, actionCounts(st)), nil
}

// actionCounts summarizes a run's statistics.
func actionCounts(st *gtypes.WorkflowRunStatistics) string {
	if st == nil {
		return "no statistics yet"
	}
	s := fmt.Sprintf("%d of %d actions succeeded", st.SucceededActions, st.TotalActions)
	for _, c := range []struct {
		n    int32
		what string
	}{{st.RunningActions, "running"}, {st.WaitingActions, "waiting"}, {st.FailedActions, "failed"}, {st.ErroredActions, "errored"},
		{st.TimeoutActions, "timed out"}, {st.StoppedActions, "stopped"}} {
		if c.n > 0 {
			s += fmt.Sprintf(", %d %s", c.n, c.what)
		}
	}
	return s
}

// failedNodes names every crawler or job of the run's graph that did not
// succeed, with its error message.
func failedNodes(g *gtypes.WorkflowGraph) string {
	if g == nil {
		return ""
	}
	var out []string
	for _, n := range g.Nodes {
		switch n.Type {
		case gtypes.NodeTypeJob:
			if n.JobDetails == nil {
				continue
			}
			for _, jr := range n.JobDetails.JobRuns {
				switch jr.JobRunState {
				case gtypes.JobRunStateSucceeded, gtypes.JobRunStateRunning, gtypes.JobRunStateStarting, gtypes.JobRunStateWaiting:
					continue
				}
				out = append(out, fmt.Sprintf("job %s run %s %s: %s", aws.ToString(n.Name), aws.ToString(jr.Id), jr.JobRunState, aws.ToString(jr.ErrorMessage)))
			}
		case gtypes.NodeTypeCrawler:
			if n.CrawlerDetails == nil {
				continue
			}
			for _, c := range n.CrawlerDetails.Crawls {
				if c.State == gtypes.CrawlStateFailed || c.State == gtypes.CrawlStateCancelled || c.State == gtypes.CrawlStateError {
					out = append(out, fmt.Sprintf("crawler %s %s: %s", aws.ToString(n.Name), c.State, aws.ToString(c.ErrorMessage)))
				}
			}
		}
	}
	return strings.Join(out, "; ")
}

func (r *runner) etlHint() string {
	return fmt.Sprintf("the Glue console's run graph of workflow %s-%s-etl, the job logs in /aws-glue/jobs/%s-%s and the crawler's log in /aws-glue/crawlers",
		r.cfg.Project, r.cfg.Profile, r.cfg.Project, r.cfg.Profile)
}
