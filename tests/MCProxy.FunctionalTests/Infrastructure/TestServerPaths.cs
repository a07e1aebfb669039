namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>Where the built test server and gateway live, next to this test assembly's build output.</summary>
internal static class TestServerPaths
{
    // tests/MCProxy.FunctionalTests/bin/<Configuration>/net10.0/ → tests/
    private static readonly DirectoryInfo OutputDir = new(AppContext.BaseDirectory.TrimEnd('/'));
    private static readonly string Configuration = OutputDir.Parent!.Name;
    private static readonly string TestsDir = OutputDir.Parent!.Parent!.Parent!.Parent!.FullName;

    public static string TestServerDll { get; } =
        Path.Combine(TestsDir, "MCProxy.TestServer", "bin", Configuration, "net10.0", "MCProxy.TestServer.dll");

    /// <summary>
    /// The gateway's own build output (copied beside the tests by the project reference). MCPROXY_TEST_GATEWAY_DLL
    /// points the out-of-process tests at another build, e.g. an older commit's, to show a test fails without a fix.
    /// </summary>
    public static string GatewayDll { get; } = Environment.GetEnvironmentVariable("MCPROXY_TEST_GATEWAY_DLL") is { Length: > 0 } dll
        ? dll
        : Path.Combine(AppContext.BaseDirectory, "MCProxy.dll");

    public static string DotnetHost { get; } = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host
        ? host
        : "dotnet";

    /// <summary>
    /// How to start the gateway as its own process: MCPROXY_TEST_GATEWAY_BIN names a native executable (CI sets it
    /// to the NativeAOT build, the binary that ships); otherwise the dotnet host runs <see cref="GatewayDll"/>.
    /// </summary>
    public static (string File, string[] Prefix) GatewayCommand { get; } =
        Environment.GetEnvironmentVariable("MCPROXY_TEST_GATEWAY_BIN") is { Length: > 0 } bin
            ? (bin, [])
            : (DotnetHost, [GatewayDll]);
}
