using MCProxy.Configuration;

namespace MCProxy.Tests.Configuration;

public class EnvironmentSourceTests
{
    [Fact]
    public void ReadDotEnv_ParsesFileWithoutTouchingProcessEnvironment()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "# comment\nMCPROXY_TEST_A=alpha\nMCPROXY_TEST_B=\"quoted value\"\n");
            var values = EnvironmentSource.ReadDotEnv(path);
            Assert.Equal("alpha", values["MCPROXY_TEST_A"]);
            Assert.Equal("quoted value", values["MCPROXY_TEST_B"]);
            Assert.Null(Environment.GetEnvironmentVariable("MCPROXY_TEST_A"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReadDotEnv_MissingFile_IsEmpty() => Assert.Empty(EnvironmentSource.ReadDotEnv("/nonexistent/.env"));

    [Fact]
    public void Lookup_ProcessEnvironmentWins()
    {
        var source = new EnvironmentSource(new Dictionary<string, string> { ["A"] = "p" },
            new Dictionary<string, string> { ["A"] = "d", ["B"] = "d" });
        Assert.Equal("p", source.Lookup("A"));
        Assert.Equal("d", source.Lookup("B"));
        Assert.Null(source.Lookup("C"));
    }

    [Fact]
    public void Lookup_FilePrefix_ReadsTheFileMinusOneTrailingNewline()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "file-secret\n\n");
            var source = new EnvironmentSource(new Dictionary<string, string> { ["file:" + path] = "from-env" }, new Dictionary<string, string>());
            Assert.Equal("file-secret\n", source.Lookup("file:" + path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("/nonexistent/secret")]
    [InlineData("")]
    [InlineData("/")]
    public void ReadSecretFile_Unreadable_IsNull(string path) => Assert.Null(EnvironmentSource.ReadSecretFile(path));

    [Fact]
    public void ReadSecretFile_At64KiB_IsRead_AndOneByteMoreIsNot()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, new string('s', 64 * 1024));
            Assert.Equal(64 * 1024, EnvironmentSource.ReadSecretFile(path)!.Length);
            File.WriteAllText(path, new string('s', 64 * 1024 + 1));
            Assert.Null(EnvironmentSource.ReadSecretFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
