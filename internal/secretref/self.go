package secretref

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"
)

// Self asks the API server who zen-watcher is (a SelfSubjectReview, which
// every authenticated identity may create) and returns its ServiceAccount,
// or an empty name when it runs as something else, such as a developer's
// user under `make run`.
func Self(ctx context.Context, c authenticationv1client.SelfSubjectReviewsGetter) (types.NamespacedName, error) {
	r, err := c.SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return types.NamespacedName{}, fmt.Errorf("asking the API server who zen-watcher is: %w", err)
	}
	ns, name, err := serviceaccount.SplitUsername(r.Status.UserInfo.Username)
	if err != nil {
		return types.NamespacedName{}, nil
	}
	return types.NamespacedName{Namespace: ns, Name: name}, nil
}
