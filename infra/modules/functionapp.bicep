// One region's Function App on the Flex Consumption plan: Python 3.11 on Linux, HTTPS only,
// TLS 1.2, a system-assigned identity, and always-ready instances for both the HTTP group
// (the chat route) and the Durable group (orchestrator and activities), so neither half of the
// chat path waits for a cold start. App settings are applied separately (functionapp-settings)
// once the identity has its roles, so Key Vault references resolve on the first start.

@description('UK region for the plan and the app.')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Flex Consumption plan name.')
param planName string

@description('Function App name (also its default host name).')
param appName string

@description('Blob endpoint of the regional storage account, with a trailing slash.')
param storageBlobEndpoint string

@description('Blob container the plan deploys the app package from.')
param deploymentContainerName string

@description('Always-ready instances for HTTP triggers (the chat route).')
@minValue(0)
param alwaysReadyHttpInstances int

@description('Always-ready instances for the Durable group (orchestrator and activities).')
@minValue(0)
param alwaysReadyDurableInstances int

@description('Upper bound on instances, which also bounds the spend and the provider load.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory per instance.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int

@description('Concurrent HTTP requests per instance. Python defaults to 1; the handlers are async.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int

@description('Front Door profile id (X-Azure-FDID). Only requests through this profile reach the app.')
param frontDoorId string

@description('Log Analytics workspace for the platform logs.')
param workspaceId string

@description('Tags for every resource.')
param tags object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // checkov:skip=CKV_AZURE_225: zone redundancy is not offered in UK West; resilience comes from the second region behind Front Door
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    // checkov:skip=CKV_AZURE_17: callers are authenticated by function keys behind Front Door; mutual TLS is not offered through Front Door
    // checkov:skip=CKV_AZURE_222: the public endpoint only admits this Front Door profile (service tag and X-Azure-FDID); private endpoints are a follow-up (README)
    // checkov:skip=CKV_AZURE_212: Flex Consumption sets always-ready instances in functionAppConfig, and a second region takes over on failure
    // checkov:skip=CKV_AZURE_213: Front Door probes /api/health/live and fails over between regions; that is the health check that acts
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      ipSecurityRestrictionsDefaultAction: 'Deny'
      ipSecurityRestrictions: [
        {
          name: 'front-door-only'
          description: 'Only this Front Door profile may call the app, so the WAF cannot be bypassed.'
          action: 'Allow'
          priority: 100
          tag: 'ServiceTag'
          ipAddress: 'AzureFrontDoor.Backend'
          headers: {
            'x-azure-fdid': [
              frontDoorId
            ]
          }
        }
      ]
      // Deployments go through the Entra-authenticated SCM endpoint; basic auth is off below.
      scmIpSecurityRestrictionsUseMain: false
      scmIpSecurityRestrictionsDefaultAction: 'Allow'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: [
          {
            name: 'http'
            instanceCount: alwaysReadyHttpInstances
          }
          {
            name: 'durable'
            instanceCount: alwaysReadyDurableInstances
          }
        ]
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Publishing uses Entra tokens only: no FTP or SCM user name and password exist.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource platformLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'platform-to-log-analytics'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
    ]
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output principalId string = site.identity.principalId
