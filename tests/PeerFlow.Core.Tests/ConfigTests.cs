using PeerFlow.Configuration;
using PeerFlow.Testing;

namespace PeerFlow.Core.Tests;

/// <summary>Configuration files are read strictly: every problem is named with its line and property.</summary>
public sealed class ConfigTests : FileSystemTest
{
    private static string ConfigDirectory => Path.Combine(SamplePlugins.RepositoryRoot(), "config");

    private (PeerFlowConfig? Config, IReadOnlyList<ConfigError> Errors) Validate(string json)
    {
        var path = Dir.Combine("peerflow.json");
        File.WriteAllText(path, json);
        return ConfigLoader.Validate(path);
    }

    [TestCase("lan-bulk-copy.json")]
    [TestCase("wan-compressed.json")]
    [TestCase("headless-receiver.json")]
    [TestCase("nightly-jobs.json")]
    public void ShippedSamples_AreValid(string name)
    {
        var (config, errors) = ConfigLoader.Validate(Path.Combine(ConfigDirectory, name));
        Assert.That(errors, Is.Empty);
        Assert.That(config, Is.Not.Null);
    }

    [Test]
    public void PublishedSchema_IsTheOneTheModelProduces()
    {
        var published = File.ReadAllText(Path.Combine(ConfigDirectory, "schema", "peerflow.schema.json"));
        Assert.That(published, Is.EqualTo(ConfigSchema.Text()), "regenerate it: peerflow config schema > config/schema/peerflow.schema.json");
    }

    [Test]
    public void ValidFile_WithCommentsAndTrailingCommas_Loads()
    {
        var (config, errors) = Validate("""
            {
              // comments are fine
              "pipeline": { "readers": 3, "compression": "lz4", "transport": { "name": "tcp", "options": { "socketBufferSize": "65536" } }, },
              "receive": { "dest": "/srv/in", "trust": ["GVWA-UWJJ-BSEQ-MKRJ-JQFO-37CQ-M42B-ETXV"], "maxEntries": 5000000000 },
            }
            """);
        Assert.That(errors, Is.Empty);
        Assert.That(config!.Pipeline!.Readers, Is.EqualTo(3));
        Assert.That(config.Pipeline.Transport!.Options!["socketBufferSize"], Is.EqualTo("65536"));
        Assert.That(config.Receive!.MaxEntries, Is.EqualTo(5_000_000_000));
    }

    [Test]
    public void EveryProblem_IsReported_WithItsLineAndProperty_AndWhatIsAllowed()
    {
        var (config, errors) = Validate("""
            {
              "pipeline": {
                "readers": 0,
                "compression": "zstd",
                "colour": "blue",
                "transport": { "options": { "socketBufferSize": 65536 } }
              },
              "send": { "reconnects": "5", "peer": "not-an-id" },
              "receive": { "trust": ["ABC"], "handshakeTimeoutSeconds": 0 },
              "jobs": {}
            }
            """);
        Assert.That(config, Is.Null);
        var lines = errors.Select(e => e.ToString()).ToList();
        Assert.That(lines, Has.Count.EqualTo(9), string.Join("\n", lines));
        Assert.That(lines, Has.Some.Match(@"peerflow\.json:3: pipeline\.readers: must be between 1 and 64, not 0$"));
        Assert.That(lines, Has.Some.Match(@":4: pipeline\.compression: must be one of 'auto', 'lz4', 'none', not 'zstd'$"));
        Assert.That(lines, Has.Some.Match(@":5: pipeline\.colour: unknown property; allowed here: chunkSize, compression, compressionLevel, rawBelow, readers, writers, streams, capacity, bandwidthLimit, peerTimeoutSeconds, exclude, include, transport$"));
        Assert.That(lines, Has.Some.Match(@":6: pipeline\.transport\.options\.socketBufferSize: must be a string"));
        Assert.That(lines, Has.Some.Match(@":8: send\.reconnects: must be a whole number, not the string ""5""$"));
        Assert.That(lines, Has.Some.Match(@":8: send\.peer: 'not-an-id' is not a peer ID"));
        Assert.That(lines, Has.Some.Match(@":9: receive\.trust: 'ABC' is not a peer ID"));
        Assert.That(lines, Has.Some.Match(@":9: receive\.handshakeTimeoutSeconds: must be between 0.1 and 3600, not 0$"));
        Assert.That(lines, Has.Some.Match(@":10: jobs: must be an array"));
    }

    [TestCase("{ \"pipeline\": { \"readers\": 2.5 } }", "pipeline.readers: must be a whole number, not the number 2.5")]
    [TestCase("{ \"send\": { \"links\": \"yes\" } }", "send.links: must be true or false, not the string \"yes\"")]
    [TestCase("{ \"pipeline\": [] }", "pipeline: must be an object, not an array")]
    [TestCase("{ \"receive\": { \"trust\": \"ABCD\" } }", "receive.trust: must be an array of strings")]
    [TestCase("[1, 2]", "the file must hold one JSON object")]
    [TestCase("{ \"pipeline\": { \"readers\": 2 ", "not valid JSON")]
    [TestCase("{ \"pipeline\": { \"chunkSize\": \"12Q\" } }", "pipeline.chunkSize: '12Q' is not 'auto' or a size such as 256K, 1M")]
    [TestCase("{ \"pipeline\": { \"compressionLevel\": 2 } }", "pipeline.compressionLevel: LZ4 has levels 0 (fast) and 3 to 12 (high compression), not 2")]
    [TestCase("{ \"pipeline\": { \"compressionLevel\": 13 } }", "pipeline.compressionLevel: must be between 0 and 12, not 13")]
    [TestCase("{ \"pipeline\": { \"bandwidthLimit\": \"fast\" } }", "pipeline.bandwidthLimit: 'fast' is not a rate in bytes per second such as 500K, 10M")]
    public void WrongShapes_AreErrors_NeverIgnored(string json, string expected)
    {
        var (config, errors) = Validate(json);
        Assert.That(config, Is.Null);
        Assert.That(errors.Select(e => e.ToString()), Has.Some.Contain(expected));
    }

    [Test]
    public void MissingFile_IsAnErrorNamingIt()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Dir.Combine("absent.json")));
        Assert.That(error!.Message, Does.Contain("absent.json").And.Contain("cannot read the file"));
    }

    [Test]
    public void Jobs_NeedANameAndAVerb_WithUniqueNames_AndAreCheckedLikeTheRest()
    {
        var (config, errors) = Validate("""
            {
              "jobs": [
                { "name": "nightly", "verb": "send", "paths": ["/data"] },
                { "verb": "copy" },
                { "name": "nightly", "verb": "mirror" },
                { "name": "x", "verb": "send", "send": { "reconnects": 5000 } }
              ]
            }
            """);
        Assert.That(config, Is.Null);
        var lines = errors.Select(e => e.ToString()).ToList();
        Assert.That(lines, Has.Some.Match(@":4: jobs\[1\]\.name: is required$"), string.Join("\n", lines));
        Assert.That(lines, Has.Some.Match(@":5: jobs\[2\]\.verb: must be one of 'send', 'sync', 'receive', 'copy', not 'mirror'$"));
        Assert.That(lines, Has.Some.Match(@":5: jobs\[2\]\.name: another job is already named 'nightly'$"));
        Assert.That(lines, Has.Some.Match(@":6: jobs\[3\]\.send\.reconnects: must be between 0 and 1000, not 5000$"));
        Assert.That(lines, Has.Count.EqualTo(4), string.Join("\n", lines));
    }
}
