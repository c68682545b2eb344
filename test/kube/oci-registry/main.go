// A registry serving the OCI 1.1 referrers API, for the referrers tests only: go-containerregistry's
// pkg/registry (in memory) with its referrers endpoint on, which its own cmd/registry leaves off. Listens on
// 127.0.0.1:<-port>. Built by test/kube/build-oci-registry.sh into a cache outside the clone.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	port := flag.Int("port", 0, "port to listen on (127.0.0.1)")
	flag.Parse()
	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("serving on %s", listener.Addr())
	server := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler:           registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))),
	}
	log.Fatal(server.Serve(listener))
}
