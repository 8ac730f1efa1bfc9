using System.Net;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Operations;

[Trait(Suites.Trait, Suites.Api)]
public sealed class HealthTests
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task HealthProbe_AnswersHealthy_WithoutSigningIn(string path)
    {
        await using var app = new StudioFactory();
        var response = await app.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
