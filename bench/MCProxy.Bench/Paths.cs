namespace MCProxy.Bench;

internal static class Paths
{
    // bench/MCProxy.Bench/bin/<Configuration>/net10.0/ → repository root
    private static readonly DirectoryInfo Output = new(AppContext.BaseDirectory.TrimEnd('/'));
    public static readonly string Configuration = Output.Parent!.Name;
    public static readonly string Root = Output.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
    public static readonly string GatewayDll = Path.Combine(Root, "src", "MCProxy", "bin", Configuration, "net10.0", "MCProxy.dll");
    public static readonly string TestServerDll = Path.Combine(Root, "tests", "MCProxy.TestServer", "bin", Configuration, "net10.0", "MCProxy.TestServer.dll");
    public static readonly string NodeModules = Path.Combine(Root, "tests", "e2e", "node_modules");
    public static string EverythingJs => Path.Combine(NodeModules, "@modelcontextprotocol", "server-everything", "dist", "index.js");
}
