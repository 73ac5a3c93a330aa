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

@description('Always-ready instances for each queue-trigger function (its own Flex group): operations alerts, the records outbox and the escalation fallback.')
@minValue(0)
param alwaysReadyQueueInstances int

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

@description('Entra ID group whose members may use the operator routes and the status page.')
param operatorGroupId string

@description('Client id of the Entra ID app registration operators sign in with.')
param entraClientId string

@description('Log Analytics workspace for the platform logs.')
param workspaceId string

@description('Tags for every resource.')
param tags object

@description('Subnet for virtual network integration (delegated to Microsoft.App/environments); empty for none.')
param subnetId string = ''

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
    // checkov:skip=CKV_AZURE_213: Front Door probes /api/health/ready and fails over between regions; that is the health check that acts
    serverFarmId: plan.id
    // Virtual network integration (privateNetworking): outbound calls to storage, Key Vault
    // and Azure OpenAI go through the region's network to their private endpoints.
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
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
          // The queue triggers, each its own Flex scaling group: an operations alert or a
          // spilled record otherwise waits for a cold start of its group.
          {
            name: 'function:operations_alert'
            instanceCount: alwaysReadyQueueInstances
          }
          {
            name: 'function:records_outbox'
            instanceCount: alwaysReadyQueueInstances
          }
          {
            name: 'function:escalation_fallback'
            instanceCount: alwaysReadyQueueInstances
          }
          {
            name: 'function:escalation_fallback_poison'
            instanceCount: alwaysReadyQueueInstances
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

// App Service authentication: operators sign in with Microsoft Entra ID, and only members of
// the operators group get through. The operator routes and the status page are anonymous to
// the Functions host (a browser cannot send the master key in a header, and a key in a URL
// leaks), so this is what guards them; the app checks the group claim again. The bot's chat
// routes keep their function key, the probes stay anonymous and the acknowledgement link is
// its own credential, so those paths are excluded from sign-in.
resource authentication 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov reads every sites/config resource as site settings; this one is the authentication
  // settings alone, so the site-settings checks below do not apply to it.
  // checkov:skip=CKV_AZURE_13: this resource is App Service authentication (authsettingsV2), which checkov does not recognise
  // checkov:skip=CKV_AZURE_222: public network access is set on the site (only Front Door gets in), not in authentication settings
  // checkov:skip=CKV_AZURE_63: HTTP logging is a web-server log setting of the site, not of authentication; requests are traced to Application Insights
  // checkov:skip=CKV_AZURE_65: detailed error logging is a web-server log setting of the site, not of authentication
  // checkov:skip=CKV_AZURE_66: failed request tracing is an IIS feature; this is a Linux Python app
  // checkov:skip=CKV_AZURE_80: a Python app; no .NET Framework is used
  // checkov:skip=CKV_AZURE_88: Flex Consumption has no Azure Files content share
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: [
        '/api/chat'
        '/api/v1/chat/completions'
        '/api/health'
        '/api/health/live'
        '/api/health/ready'
        '/api/openapi.json'
        '/api/ack'
        '/api/ack/case'
        '/api/ack/view'
        '/api/ack/outcome'
      ]
    }
    httpSettings: {
      requireHttps: true
      // Sign-in redirects go back to the Front Door host the operator used.
      forwardProxy: {
        convention: 'Standard'
      }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: entraClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${entraClientId}'
            entraClientId
          ]
          defaultAuthorizationPolicy: {
            allowedPrincipals: {
              groups: [
                operatorGroupId
              ]
            }
          }
        }
      }
    }
    login: {
      tokenStore: {
        enabled: true
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
