# `latticelab serve` as an image, built from scratch: no base image and no registry needed.
# scripts/build-image.sh assembles the build context (the binary and the shared libraries it
# loads, as `ldd` lists them) and runs `docker build` on it with this file.
FROM scratch
COPY rootfs/ /
# The Lattice endpoint, then cluster-a and cluster-b (HTTPS, bearer tokens in /state/kubeconfig).
EXPOSE 8080 6443 6444
ENTRYPOINT ["/latticelab", "serve", "--state-dir", "/state", "--bind", "0.0.0.0", "--port", "8080", "--cluster-port-base", "6443"]
