package argocdbin
