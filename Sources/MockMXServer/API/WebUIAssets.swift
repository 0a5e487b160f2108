/// The web UI's files, kept in `Sources/MockMXServer/WebUI/` and compiled into the binary by SwiftPM
/// (`.embedInCode` in Package.swift), so the page works offline and the binary needs no source tree.
enum WebUIAssets {
    /// By file name: the Content-Type each is served with, and its bytes.
    static let all: [String: (type: String, bytes: [UInt8])] = [
        "index.html": ("text/html; charset=utf-8", PackageResources.index_html),
        "app.js": ("text/javascript; charset=utf-8", PackageResources.app_js),
        "style.css": ("text/css; charset=utf-8", PackageResources.style_css),
    ]
}
