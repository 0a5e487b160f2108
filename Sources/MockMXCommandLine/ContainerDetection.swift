import Foundation

/// Whether mockmx runs inside a container, where it must listen on every interface to be reachable at all.
public enum ContainerDetection {
    /// Docker leaves `/.dockerenv`, Podman and CRI-O `/run/.containerenv`; systemd-nspawn, LXC and Podman set
    /// `container` in the environment. containerd (most Kubernetes clusters) does neither, which is why the
    /// image sets `container=oci` itself.
    public static func isContainer(
        environment: [String: String], fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) -> Bool {
        if let container = environment["container"], !container.isEmpty { return true }
        return fileExists("/.dockerenv") || fileExists("/run/.containerenv")
    }
}
