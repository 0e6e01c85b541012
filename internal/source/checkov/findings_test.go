package checkov

import (
	"reflect"
	"testing"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func TestFindingsFromFixtures(t *testing.T) {
	cases := []struct {
		file string
		want []finding.Finding
	}{
		{single, []finding.Finding{
			{
				Source: "checkov", Category: zenv1.CategorySecurity, EventType: "static-analysis",
				Rule: "CKV_K8S_20", Title: "Containers should not run with allowPrivilegeEscalation",
				// severity null: CKV_K8S_20 is in the high-risk table.
				Severity: zenv1.SeverityHigh,
				Resource: &zenv1.ResourceRef{Kind: "Deployment", Namespace: "shop", Name: "web"},
				Details: map[string]any{
					"check_id":        "CKV_K8S_20",
					"check_name":      "Containers should not run with allowPrivilegeEscalation",
					"guideline":       "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/kubernetes-policies/kubernetes-policy-index/bc-k8s-19",
					"file_path":       "/deploy/web.yaml",
					"file_line_range": []int{1, 40},
					"framework":       "kubernetes",
					"resource":        "Deployment.shop.web",
				},
				DetectedAt: sourcetest.Now,
				DedupKey:   "CKV_K8S_20/Deployment.shop.web",
			},
			{
				Source: "checkov", Category: zenv1.CategorySecurity, EventType: "static-analysis",
				Rule: "CKV_K8S_16", Title: "Container should not be privileged",
				Severity: zenv1.SeverityHigh, // checkov's own "HIGH"
				Resource: &zenv1.ResourceRef{Kind: "Pod", Namespace: "default", Name: "debug"},
				Details: map[string]any{
					"check_id":        "CKV_K8S_16",
					"check_name":      "Container should not be privileged",
					"guideline":       "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/kubernetes-policies/kubernetes-policy-index/bc-k8s-15",
					"file_path":       "/deploy/debug-pod.yaml",
					"file_line_range": []int{1, 18},
					"framework":       "kubernetes",
					"resource":        "Pod.default.debug",
				},
				DetectedAt: sourcetest.Now,
				DedupKey:   "CKV_K8S_16/Pod.default.debug",
			},
			{
				Source: "checkov", Category: zenv1.CategorySecurity, EventType: "static-analysis",
				Rule: "CKV_K8S_43", Title: "Image should use digest",
				Severity: zenv1.SeverityLow, // checkov's own "LOW"
				Resource: &zenv1.ResourceRef{Kind: "Deployment", Namespace: "shop", Name: "web"},
				Details: map[string]any{
					"check_id":        "CKV_K8S_43",
					"check_name":      "Image should use digest",
					"guideline":       "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/kubernetes-policies/kubernetes-policy-index/bc-k8s-39",
					"file_path":       "/deploy/web.yaml",
					"file_line_range": []int{1, 40},
					"framework":       "kubernetes",
					"resource":        "Deployment.shop.web",
				},
				DetectedAt: sourcetest.Now,
				DedupKey:   "CKV_K8S_43/Deployment.shop.web",
			},
		}},
		{multi, []finding.Finding{
			{
				Source: "checkov", Category: zenv1.CategorySecurity, EventType: "static-analysis",
				Rule: "CKV_K8S_28", Title: "Minimize the admission of containers with the NET_RAW capability",
				Severity: zenv1.SeverityMedium, // null, and NET_RAW is not in the table
				Resource: &zenv1.ResourceRef{Kind: "DaemonSet", Namespace: "kube-system", Name: "node-agent"},
				Details: map[string]any{
					"check_id":        "CKV_K8S_28",
					"check_name":      "Minimize the admission of containers with the NET_RAW capability",
					"guideline":       "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/kubernetes-policies/kubernetes-policy-index/bc-k8s-27",
					"file_path":       "/k8s/agent.yaml",
					"file_line_range": []int{1, 30},
					"framework":       "kubernetes",
					"resource":        "DaemonSet.kube-system.node-agent",
				},
				DetectedAt: sourcetest.Now,
				DedupKey:   "CKV_K8S_28/DaemonSet.kube-system.node-agent",
			},
			{
				Source: "checkov", Category: zenv1.CategorySecurity, EventType: "static-analysis",
				Rule: "CKV_DOCKER_3", Title: "Ensure that a user for the container has been created",
				Severity: zenv1.SeverityMedium,
				Resource: nil, // a file path stays in details only
				Details: map[string]any{
					"check_id":        "CKV_DOCKER_3",
					"check_name":      "Ensure that a user for the container has been created",
					"guideline":       "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/docker-policies/docker-policy-index/ensure-that-a-user-for-the-container-has-been-created",
					"file_path":       "/Dockerfile",
					"file_line_range": []int{1, 12},
					"framework":       "dockerfile",
					"resource":        "/Dockerfile.",
				},
				DetectedAt: sourcetest.Now,
				DedupKey:   "CKV_DOCKER_3//Dockerfile.",
			},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r, err := Parse(fx.Read(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			got := Findings(r, sourcetest.Now)
			if len(got) != len(c.want) {
				t.Fatalf("got %d findings; want %d", len(got), len(c.want))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], c.want[i]) {
					t.Errorf("finding %d:\n got %#v\nwant %#v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestSeverity(t *testing.T) {
	cases := []struct {
		id, severity string
		want         zenv1.Severity
	}{
		{"CKV_K8S_16", "", zenv1.SeverityHigh},
		{"CKV_K8S_17", "", zenv1.SeverityHigh},
		{"CKV_K8S_18", "", zenv1.SeverityHigh},
		{"CKV_K8S_19", "", zenv1.SeverityHigh},
		{"CKV_K8S_20", "", zenv1.SeverityHigh},
		{"CKV_K8S_23", "", zenv1.SeverityHigh},
		{"CKV_K8S_27", "", zenv1.SeverityHigh},
		{"CKV_K8S_39", "", zenv1.SeverityHigh},
		{"CKV_K8S_21", "", zenv1.SeverityMedium},
		{"CKV_K8S_160", "", zenv1.SeverityMedium},
		{"CKV_DOCKER_3", "", zenv1.SeverityMedium},
		{"CKV_K8S_16", "LOW", zenv1.SeverityLow},           // checkov's own word wins
		{"CKV_K8S_43", "critical", zenv1.SeverityCritical}, // in any case
		{"CKV_K8S_43", "INFO", zenv1.SeverityInfo},
		{"CKV_K8S_43", "SEVERE", zenv1.SeverityMedium}, // unknown word: the table decides
		{"CKV_K8S_16", "SEVERE", zenv1.SeverityHigh},
	}
	for _, c := range cases {
		t.Run(c.id+"/"+c.severity, func(t *testing.T) {
			if got := severityOf(FailedCheck{CheckID: c.id, Severity: c.severity}); got != c.want {
				t.Errorf("got %s; want %s", got, c.want)
			}
		})
	}
}

func TestResourceRef(t *testing.T) {
	ref := func(kind, ns, name string) *zenv1.ResourceRef {
		return &zenv1.ResourceRef{Kind: kind, Namespace: ns, Name: name}
	}
	cases := []struct {
		raw, framework string
		want           *zenv1.ResourceRef
	}{
		{"Deployment.shop.web", "kubernetes", ref("Deployment", "shop", "web")},
		{"DaemonSet.kube-system.node-agent", "kubernetes", ref("DaemonSet", "kube-system", "node-agent")},
		{"Service.prod.api.v1.example.com", "kubernetes", ref("Service", "prod", "api.v1.example.com")},
		{"Pod.default.app-web.tier-frontend", "helm", ref("Pod", "default", "app-web.tier-frontend")},
		{"Deployment.shop.web", "kustomize", ref("Deployment", "shop", "web")},
		{"Deployment.shop.web", "", ref("Deployment", "shop", "web")},
		{"Pod.default.name.", "kubernetes", ref("Pod", "default", "name.")},
		{"ClusterRole.default.admin-extra", "kubernetes", ref("ClusterRole", "", "admin-extra")},
		{"Namespace.default.prod", "kubernetes", ref("Namespace", "", "prod")},
		{"/Dockerfile.", "dockerfile", nil},
		{"/deploy/web.yaml", "kubernetes", nil},
		{"charts/web/templates.x.y", "kubernetes", nil},
		{"Deployment.shop", "kubernetes", nil},
		{"Deployment", "kubernetes", nil},
		{"", "kubernetes", nil},
		{".shop.web", "kubernetes", nil},
		{"Deployment..web", "kubernetes", nil},
		{"Deployment.shop.", "kubernetes", nil},
		{"...", "kubernetes", nil},
		{"module.vpc.aws_vpc.this", "terraform", nil},
		{"aws_s3_bucket.logs", "terraform", nil},
		{"Deployment.shop.web", "terraform", nil},
		{"AWS::S3::Bucket.a.b", "kubernetes", nil},
		{"1Pod.a.b", "kubernetes", nil},
		{"Pod-x.a.b", "kubernetes", nil},
	}
	for _, c := range cases {
		t.Run(c.framework+":"+c.raw, func(t *testing.T) {
			if got := resourceRef(c.raw, c.framework); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v; want %+v", got, c.want)
			}
		})
	}
}

func TestFindingsKeepDetailsApartFromReport(t *testing.T) {
	r := Report{Checks: []FailedCheck{{CheckID: "A", Resource: "Pod.a.b", FileLineRange: []int{1, 2}, Framework: "kubernetes"}}}
	f := Findings(r, sourcetest.Now)[0]
	f.Details["file_line_range"].([]int)[0] = 99
	if r.Checks[0].FileLineRange[0] != 1 {
		t.Error("editing a finding's details changed the report")
	}
	if _, ok := Findings(Report{Checks: []FailedCheck{{CheckID: "B"}}}, sourcetest.Now)[0].Details["file_line_range"]; ok {
		t.Error("an absent line range should stay absent")
	}
}
