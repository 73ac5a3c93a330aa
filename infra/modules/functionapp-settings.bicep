// The app settings of one regional Function App, applied after its identity has its roles so
// the Key Vault references resolve on the first start. Secrets appear only as Key Vault
// references; plain values are configuration. Flex Consumption sets the runtime itself, so
// FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION must not be set here.

@description('Function App name.')
param appName string

@description('Application Insights component the app reports to.')
param appInsightsName string

@description('App settings: plain values and Key Vault references, never secret values.')
param settings object

@description('The settings that choose and reach the Durable backend (they override host.json).')
param durableSettings object

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

// The connection string carries only the ingestion key, which Microsoft documents as not a
// secret; it is read here rather than passed around so no output or parameter holds it.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_13: App Service authentication is configured on the site (authsettingsV2 in functionapp.bicep): Entra sign-in for operators, function keys for the bot
  // checkov:skip=CKV_AZURE_222: public network access is set on the site (only Front Door gets in), not in app settings
  // checkov:skip=CKV_AZURE_63: HTTP logging is an App Service web-server log; requests are traced to Application Insights instead
  // checkov:skip=CKV_AZURE_65: detailed error logging is an App Service web-server log; errors are recorded in Application Insights
  // checkov:skip=CKV_AZURE_66: failed request tracing is an IIS feature; this is a Linux Python app traced through OpenTelemetry
  // checkov:skip=CKV_AZURE_80: a Python app; no .NET Framework is used
  // checkov:skip=CKV_AZURE_88: Flex Consumption has no Azure Files content share; the package is read from blob storage with the app identity
  parent: site
  name: 'appsettings'
  properties: union(settings, durableSettings, {
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  })
}
