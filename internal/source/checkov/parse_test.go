package checkov

import (
	"reflect"
	"testing"
)

func TestParseFixtures(t *testing.T) {
	// Expected checks read off the fixtures by hand and with jq: the
	// single framework has 3 failed checks (and 1 passed, never read), the
	// list has one kubernetes and one dockerfile failure.
	cases := []struct {
		file string
		want []FailedCheck
	}{
		{single, []FailedCheck{
			{
				CheckID:       "CKV_K8S_20",
				CheckName:     "Containers should not run with allowPrivilegeEscalation",
				Guideline:     "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/kubernetes-policies/kubernetes-policy-index/bc-k8s-19",
				FilePath:      "/deploy/web.yaml",
				FileLineRange: []int{1, 40},
				Resource:      "Deployment.shop.web",
				Framework:     "kubernetes",
			},
			{
				CheckID:       "CKV_K8S_16",
				CheckName:     "Container should not be privileged",
				Guideline:     "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/kubernetes-policies/kubernetes-policy-index/bc-k8s-15",
				FilePath:      "/deploy/debug-pod.yaml",
				FileLineRange: []int{1, 18},
				Resource:      "Pod.default.debug",
				Severity:      "HIGH",
				Framework:     "kubernetes",
			},
			{
				CheckID:       "CKV_K8S_43",
				CheckName:     "Image should use digest",
				Guideline:     "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/kubernetes-policies/kubernetes-policy-index/bc-k8s-39",
				FilePath:      "/deploy/web.yaml",
				FileLineRange: []int{1, 40},
				Resource:      "Deployment.shop.web",
				Severity:      "LOW",
				Framework:     "kubernetes",
			},
		}},
		{multi, []FailedCheck{
			{
				CheckID:       "CKV_K8S_28",
				CheckName:     "Minimize the admission of containers with the NET_RAW capability",
				Guideline:     "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/kubernetes-policies/kubernetes-policy-index/bc-k8s-27",
				FilePath:      "/k8s/agent.yaml",
				FileLineRange: []int{1, 30},
				Resource:      "DaemonSet.kube-system.node-agent",
				Framework:     "kubernetes",
			},
			{
				CheckID:       "CKV_DOCKER_3",
				CheckName:     "Ensure that a user for the container has been created",
				Guideline:     "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/docker-policies/docker-policy-index/ensure-that-a-user-for-the-container-has-been-created",
				FilePath:      "/Dockerfile",
				FileLineRange: []int{1, 12},
				Resource:      "/Dockerfile.",
				Framework:     "dockerfile",
			},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r, err := Parse(fx.Read(t, c.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if r.Skipped != 0 {
				t.Errorf("skipped %d; want 0", r.Skipped)
			}
			if !reflect.DeepEqual(r.Checks, c.want) {
				t.Errorf("checks:\n got %+v\nwant %+v", r.Checks, c.want)
			}
		})
	}
}

func TestParseAcceptedShapes(t *testing.T) {
	cases := []struct {
		name, in   string
		ids        []string
		frameworks []string
		skipped    int
	}{
		{"results without check_type", `{"results":{"failed_checks":[{"check_id":"CKV_K8S_1","resource":"Pod.a.b"}]}}`,
			[]string{"CKV_K8S_1"}, []string{""}, 0},
		{"check_type with null results", `{"check_type":"kubernetes","results":null}`, nil, nil, 0},
		{"no failed checks", `{"check_type":"kubernetes","results":{"passed_checks":[{"check_id":"CKV_K8S_8"}]}}`, nil, nil, 0},
		{"null failed checks", `{"check_type":"kubernetes","results":{"failed_checks":null}}`, nil, nil, 0},
		{"empty array", `[]`, nil, nil, 0},
		{"summary of an empty run", `{"passed":0,"failed":0,"skipped":0,"parsing_errors":0,"resource_count":0,"checkov_version":"2.0.505"}`, nil, nil, 0},
		{"two blocks", `[{"check_type":"helm","results":{"failed_checks":[{"check_id":"A"}]}},{"check_type":"kustomize","results":{"failed_checks":[{"check_id":"B"},{"check_id":"C"}]}}]`,
			[]string{"A", "B", "C"}, []string{"helm", "kustomize", "kustomize"}, 0},
		{"checks without id", `{"check_type":"kubernetes","results":{"failed_checks":[{"check_name":"x"},{"check_id":""},{"check_id":null},{"check_id":"D"}]}}`,
			[]string{"D"}, []string{"kubernetes"}, 3},
		{"null severity and range", `{"check_type":"kubernetes","results":{"failed_checks":[{"check_id":"E","severity":null,"file_line_range":null}]}}`,
			[]string{"E"}, []string{"kubernetes"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Parse([]byte(c.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var ids, frameworks []string
			for _, x := range r.Checks {
				ids = append(ids, x.CheckID)
				frameworks = append(frameworks, x.Framework)
			}
			if !reflect.DeepEqual(ids, c.ids) || !reflect.DeepEqual(frameworks, c.frameworks) || r.Skipped != c.skipped {
				t.Errorf("got ids %v frameworks %v skipped %d; want %v %v %d",
					ids, frameworks, r.Skipped, c.ids, c.frameworks, c.skipped)
			}
		})
	}
}
