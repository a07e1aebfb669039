namespace MCProxy.Bench;

internal static class Paths
{
    // bench/MCProxy.Bench/bin/<Configuration>/net10.0/ → repository root
    private static readonly DirectoryInfo Output = new(AppContext.BaseDirectory.TrimEnd('/'));
    public static readonly string Configuration = Output.Parent!.Name;
    public static readonly string Root = Output.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
    public static readonly string GatewayDll = Path.Combine(Root, "src", "MCProxy", "bin", Configuration, "net10.0", "MCProxy.dll");
    public static readonly string TestServerDll = Path.Combine(Root, "tests", "MCProxy.TestServer", "bin", Configuration, "net10.0", "MCProxy.TestServer.dll");
    /// <summary>
    /// The gateway the bench runs: MCPROXY_BIN, else the native build in artifacts/native (`dotnet publish
    /// src/MCProxy/MCProxy.csproj -c Release -o artifacts/native`, the binary that ships), else the dll under dotnet.
    /// </summary>
    public static readonly (string File, string[] Prefix) Gateway =
        Environment.GetEnvironmentVariable("MCPROXY_BIN") is { Length: > 0 } bin ? (bin, [])
        : File.Exists(Path.Combine(Root, "artifacts", "native", "MCProxy")) ? (Path.Combine(Root, "artifacts", "native", "MCProxy"), [])
        : ("dotnet", [GatewayDll]);

    public static readonly string SdkFrontDoorDll = Path.Combine(Root, "bench", "SdkFrontDoor", "bin", Configuration, "net10.0", "SdkFrontDoor.dll");
    /// <summary>
    /// The SDK spike as a NativeAOT binary, when built (`dotnet publish bench/SdkFrontDoor -c Release -p:PublishAot=true
    /// -o bench/SdkFrontDoor/bin/native`): the door2026 section then measures it next to the JIT build.
    /// </summary>
    public static readonly string SdkFrontDoorNative = Path.Combine(Root, "bench", "SdkFrontDoor", "bin", "native", "SdkFrontDoor");
    public static readonly string NodeModules = Path.Combine(Root, "tests", "e2e", "node_modules");
    public static string EverythingJs => Path.Combine(NodeModules, "@modelcontextprotocol", "server-everything", "dist", "index.js");
    public static string MemoryJs => Path.Combine(NodeModules, "@modelcontextprotocol", "server-memory", "dist", "index.js");
    public static string FilesystemJs => Path.Combine(NodeModules, "@modelcontextprotocol", "server-filesystem", "dist", "index.js");
    /// <summary>The disclosure section's labelled queries (read from the source tree, not copied to the output).</summary>
    public static readonly string SearchQueries = Path.Combine(Root, "bench", "MCProxy.Bench", "search-queries.json");
}
