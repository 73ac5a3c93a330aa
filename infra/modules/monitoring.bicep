// Log Analytics and workspace-based Application Insights for every regional app stack.
// One workspace in the primary region, so the workbook and the alert rules see both regions
// in one place (each row carries cloud_RoleName and the region the app runs in).

@description('UK region for the monitoring resources.')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Log Analytics workspace name.')
param workspaceName string

@description('Application Insights component name.')
param appInsightsName string

@description('Days to keep logs and telemetry.')
@minValue(30)
@maxValue(730)
param retentionDays int

@description('Tags for every resource.')
param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    RetentionInDays: retentionDays
    // Client IPs are masked: the only caller is the chatbot, and we keep no personal data here.
    DisableIpMasking: false
  }
}

output workspaceId string = workspace.id
output appInsightsName string = appInsights.name
output appInsightsId string = appInsights.id
