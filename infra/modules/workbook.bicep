// An Azure Workbook with the status page's views, built from KQL over the App Insights custom
// metrics, spans and traces. The workbook body lives in ../workbook/ as plain JSON so it can be
// edited in the portal, exported and diffed.

@description('UK region for the workbook.')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Display name shown in the portal.')
param displayName string

@description('Application Insights component the queries run against.')
param appInsightsId string

@description('Tags for every resource.')
param tags object

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'askeve-status-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsightsId
    version: 'Notebook/1.0'
    serializedData: loadTextContent('../workbook/askeve-status.workbook.json')
  }
}

output id string = workbook.id
